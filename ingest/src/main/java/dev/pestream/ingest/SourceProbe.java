package dev.pestream.ingest;

import dev.pestream.media.FfmpegLog;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a media source before anything is started: a local file must exist and FFmpeg must find
 * an audio or video stream in it, in codecs the job decodes (a text file named x.mp4 fails here,
 * not in the middle of an ingestion). Network sources and stdin are not opened: a probe would consume or reconnect them.
 */
public final class SourceProbe {
  /** Bounds the probe of a local file (FFmpeg's stream detection reads a few MB at most). */
  private static final long PROBE_TIMEOUT_US = 10_000_000;

  private SourceProbe() {}

  /** Whether {@code source} names a local file (not stdin, not a URL). */
  public static boolean isLocalFile(String source) {
    return !SourceReader.STDIN.equals(source) && !source.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
  }

  /**
   * Throws {@link SourceException} (UNREADABLE) saying why a local file cannot be ingested;
   * without {@code transcode} its video chunks keep their codecs, so the job must decode them.
   */
  public static void check(String source, boolean transcode) throws SourceException {
    if (!isLocalFile(source)) {
      return;
    }
    Path file = Path.of(source);
    if (!Files.exists(file)) {
      throw new SourceException(SourceException.Kind.UNREADABLE, "no such file: " + source);
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new SourceException(SourceException.Kind.UNREADABLE, source + " is not a readable file");
    }
    FfmpegLog.install(); // FFmpeg's complaints about the file go to the log, not the terminal
    try (SourceReader reader = SourceReader.open(source, null, PROBE_TIMEOUT_US, () -> false)) {
      if (reader.video() != null && !transcode) {
        MediaChunker.requireDecodableCodecs(reader);
      }
    }
  }
}
