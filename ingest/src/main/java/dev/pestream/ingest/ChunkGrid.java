package dev.pestream.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FLAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PCM_S16LE;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;

import dev.pestream.ingest.VideoReencoder.VideoChunk;
import dev.pestream.schemas.MediaKind;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVPacket;

/**
 * The chunk grid of {@link EncodingChunker}: chunk {@code k} covers {@code [k * D, (k + 1) * D)}
 * on the stream clock. Decides which chunks are complete, muxes each (a re-encoded video cell with
 * the audio samples of its cell, or audio alone) and passes it to the sink.
 */
final class ChunkGrid {
  private final ChunkingSettings settings;
  private final long chunkUs;
  private final VideoReencoder video;
  private final AudioChunkEncoder audio;
  private final ChunkSink sink;
  private long nextAudioChunk = Long.MIN_VALUE;
  private boolean ended;
  private long lastEndUs = Long.MIN_VALUE;

  /** {@code video} or {@code audio} is null when the source lacks it. */
  ChunkGrid(ChunkingSettings settings, VideoReencoder video, AudioChunkEncoder audio, ChunkSink sink) {
    this.settings = settings;
    this.chunkUs = settings.chunkDurationUs();
    this.video = video;
    this.audio = audio;
    this.sink = sink;
  }

  /** End of the last emitted chunk, or {@link Long#MIN_VALUE} if none yet. */
  long lastEndUs() {
    return lastEndUs;
  }

  /** The source ended and was flushed: emits what is left. */
  void finish() throws Exception {
    ended = true;
    emitReady();
  }

  /** Emits every chunk whose video is complete and whose audio has arrived. */
  void emitReady() throws Exception {
    if (video == null) {
      if (audio.started() && nextAudioChunk == Long.MIN_VALUE) {
        nextAudioChunk = Math.floorDiv(audio.firstUs(), chunkUs); // the cell of the first frame
      }
      while (audio.started()
          && (audio.endSample() >= audio.sampleAt((nextAudioChunk + 1) * chunkUs)
              || (ended && audio.endSample() > audio.startSample()))) {
        emitAudioOnly(nextAudioChunk++);
      }
      return;
    }
    VideoChunk c;
    while ((c = video.oldest()) != null) {
      boolean audioReady =
          audio == null
              || ended
              || (audio.started() && audio.endSample() >= audio.sampleAt((c.index + 1) * chunkUs));
      if (!(c.done && audioReady)) {
        return;
      }
      video.takeOldest();
      try {
        emitVideo(c);
      } finally {
        c.release();
      }
    }
  }

  private void emitAudioOnly(long k) throws Exception {
    boolean flac = settings.audioFormat() == ChunkingSettings.AudioFormat.FLAC;
    long from = Math.max(audio.startSample(), audio.sampleAt(k * chunkUs));
    long to = Math.min(audio.endSample(), audio.sampleAt((k + 1) * chunkUs));
    byte[] bytes;
    try (MemoryMuxer mux = new MemoryMuxer(flac ? "flac" : "wav")) {
      AudioChunkEncoder.Encoding audioOut = audio.openEncoder(flac ? AV_CODEC_ID_FLAC : AV_CODEC_ID_PCM_S16LE, mux);
      try {
        mux.writeHeader(Map.of());
        audio.encode(audioOut, from, to, mux);
      } finally {
        audioOut.free();
      }
      bytes = mux.finish();
    }
    emit(
        bytes,
        flac ? "flac" : "wav",
        MediaKind.AUDIO,
        flac ? "flac" : "pcm_s16le",
        null,
        audio.usOfSample(from),
        audio.usOfSample(to));
  }

  private void emitVideo(VideoChunk c) throws Exception {
    long from = Long.MAX_VALUE;
    long to = Long.MIN_VALUE;
    byte[] bytes;
    boolean withAudio;
    try (MemoryMuxer mux = new MemoryMuxer("matroska")) {
      int videoIndex = mux.addStream(c.encoder);
      AudioChunkEncoder.Encoding audioOut = null;
      long audioFrom = 0;
      long audioTo = 0;
      if (audio != null && audio.started()) {
        audioFrom = Math.max(audio.startSample(), audio.sampleAt(c.index * chunkUs));
        audioTo = Math.min(audio.endSample(), audio.sampleAt((c.index + 1) * chunkUs));
        if (audioTo > audioFrom) {
          audioOut = audio.openEncoder(AV_CODEC_ID_FLAC, mux);
        } else if (audioFrom > audio.startSample()) {
          audio.drainTo(audioFrom);
        }
      }
      withAudio = audioOut != null;
      try {
        mux.writeHeader(Map.of());
        long frameUs = video.frameUs();
        for (AVPacket p : c.packets) {
          long pts = av_rescale(p.pts(), 1_000_000L, VideoReencoder.TIME_BASE);
          long dts = p.dts() == AV_NOPTS_VALUE ? pts : av_rescale(p.dts(), 1_000_000L, VideoReencoder.TIME_BASE);
          from = Math.min(from, pts);
          to = Math.max(to, pts + frameUs);
          mux.write(p, videoIndex, pts, dts, frameUs);
        }
        if (withAudio) {
          audio.encode(audioOut, audioFrom, audioTo, mux);
          from = Math.min(from, audio.usOfSample(audioFrom));
          to = Math.max(to, audio.usOfSample(audioTo));
        }
      } finally {
        if (audioOut != null) {
          audioOut.free();
        }
      }
      bytes = mux.finish();
    }
    emit(
        bytes,
        "matroska",
        withAudio ? MediaKind.AUDIO_VIDEO : MediaKind.VIDEO,
        withAudio ? "flac" : null,
        avcodec_get_name(c.encoder.codec_id()).getString(),
        from,
        to);
  }

  private void emit(
      byte[] bytes, String container, MediaKind kind, String audioCodec, String videoCodec, long startUs, long endUs)
      throws Exception {
    lastEndUs = endUs;
    sink.accept(new ChunkData(bytes, container, kind, audioCodec, videoCodec, startUs, endUs - startUs, false));
  }
}
