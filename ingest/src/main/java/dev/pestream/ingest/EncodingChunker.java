package dev.pestream.ingest;

import java.io.IOException;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;

/**
 * Cuts a source by re-encoding, exactly on a grid of {@code chunkDurationUs} on the stream clock
 * (chunk {@code k} covers {@code [k * D, (k + 1) * D)}):
 *
 * <ul>
 *   <li>audio-only sources become FLAC or WAV chunks (16-bit, the source's rate and channels;
 *       lossless and sample-exact, so consecutive chunks tile the audio with no seam);
 *   <li>with {@code --transcode}, video is re-encoded to H.264 (OpenH264; a fresh encoder per
 *       chunk, so every chunk starts with a keyframe) and muxed with FLAC audio in Matroska.
 * </ul>
 *
 * <p>Video goes through {@link VideoReencoder}, audio through {@link AudioChunkEncoder}; {@link
 * ChunkGrid} emits each chunk once its parts have arrived.
 */
final class EncodingChunker implements Chunker {
  private final VideoReencoder video;
  private final AudioChunkEncoder audio;
  private final ChunkGrid grid;

  EncodingChunker(SourceReader reader, ChunkingSettings settings, long clockOffsetUs, ChunkSink sink)
      throws IOException {
    video = reader.video() == null ? null : new VideoReencoder(reader, settings, clockOffsetUs);
    audio = reader.audio() == null ? null : new AudioChunkEncoder(reader, clockOffsetUs);
    grid = new ChunkGrid(settings, video, audio, sink);
  }

  @Override
  public void onPacket(AVPacket packet, AVStream stream) throws Exception {
    if (video != null && video.decodes(stream)) {
      video.decode(packet);
    } else {
      audio.decode(packet);
    }
    grid.emitReady();
  }

  @Override
  public void finish() throws Exception {
    if (video != null) {
      video.finish();
    }
    if (audio != null) {
      audio.finish();
    }
    grid.finish();
  }

  @Override
  public long lastEndUs() {
    return grid.lastEndUs();
  }

  @Override
  public void close() {
    if (video != null) {
      video.close();
    }
    if (audio != null) {
      audio.close();
    }
  }
}
