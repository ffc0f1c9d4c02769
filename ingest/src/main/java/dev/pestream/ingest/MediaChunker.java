package dev.pestream.ingest;

import dev.pestream.media.CodecAllowList;
import dev.pestream.media.FfmpegLog;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;

/**
 * Cuts one connection to a media source into independently decodable chunks: sources with video
 * are remuxed (MPEG-TS, fragmented MP4 or Matroska, cut at keyframes) unless transcoding is
 * asked for; audio-only sources become FLAC or WAV chunks. Times are on the stream clock: the
 * source's first timestamp maps to {@code clockOffsetUs}.
 */
public final class MediaChunker {
  private MediaChunker() {}

  /**
   * How a connection ended.
   *
   * @param chunks chunks emitted
   * @param lastEndUs end of the last chunk on the stream clock ({@link Long#MIN_VALUE} if none)
   * @param failure why the source stopped early, or null if it ended normally
   */
  public record Connection(long chunks, long lastEndUs, SourceException failure) {}

  /**
   * Reads {@code source} ("-" = {@code stdin}) until it ends, is stopped, or fails, passing every
   * chunk to {@code sink}. A source that cannot be opened throws; one that fails later returns
   * with the failure (the chunks before it were delivered). Exceptions from {@code sink}
   * propagate.
   */
  public static Connection read(
      String source,
      InputStream stdin,
      ChunkingSettings settings,
      long clockOffsetUs,
      long ioTimeoutUs,
      BooleanSupplier stopRequested,
      ChunkSink sink)
      throws Exception {
    FfmpegLog.install();
    long[] count = {0};
    ChunkSink counting =
        chunk -> {
          sink.accept(chunk);
          count[0]++;
        };
    try (SourceReader reader = SourceReader.open(source, stdin, ioTimeoutUs, stopRequested);
        Chunker chunker = chunkerFor(reader, settings, clockOffsetUs, counting)) {
      SourceException failure = null;
      try {
        while (reader.next()) {
          AVPacket packet = reader.packet();
          chunker.onPacket(packet, reader.streamOf(packet));
        }
      } catch (SourceException e) {
        failure = e;
      } catch (IOException e) {
        failure = new SourceException(SourceException.Kind.FAILED, reader.describe() + ": " + e.getMessage());
      }
      try {
        chunker.finish();
      } catch (IOException e) {
        if (failure == null) {
          failure = new SourceException(SourceException.Kind.FAILED, reader.describe() + ": " + e.getMessage());
        }
      }
      return new Connection(count[0], chunker.lastEndUs(), failure);
    }
  }

  private static Chunker chunkerFor(SourceReader reader, ChunkingSettings settings, long clockOffsetUs, ChunkSink sink)
      throws SourceException {
    try {
      if (reader.video() != null && !settings.transcode()) {
        requireDecodableCodecs(reader);
        return new RemuxChunker(reader, settings, clockOffsetUs, sink);
      }
      return new EncodingChunker(reader, settings, clockOffsetUs, sink);
    } catch (IOException e) {
      throw new SourceException(SourceException.Kind.UNREADABLE, reader.describe() + ": " + e.getMessage());
    }
  }

  /** Remuxed chunks keep the source's codecs: they must be ones the job's decoder accepts. */
  static void requireDecodableCodecs(SourceReader reader) throws SourceException {
    for (AVStream stream : new AVStream[] {reader.video(), reader.audio()}) {
      if (stream != null && !CodecAllowList.allowsCodec(stream.codecpar().codec_id())) {
        throw new SourceException(
            SourceException.Kind.UNREADABLE,
            reader.describe() + ": its codec " + RemuxChunker.codecName(stream)
                + " is not one the pipeline decodes; re-encode it with --transcode");
      }
    }
  }
}
