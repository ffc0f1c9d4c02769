package dev.pestream.ingest;

import dev.pestream.media.FfmpegLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

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

  /** The source without credentials ({@code scheme://user:password@host/...} without the user info), for messages. */
  public static String redact(String source) {
    return SourceReader.redact(source);
  }

  /** Default ports of the URL schemes whose sources are reached over TCP. */
  private static final Map<String, Integer> TCP_PORTS = Map.of("rtsp", 554, "rtsps", 322, "http", 80, "https", 443,
      "rtmp", 1935, "rtmps", 443, "tcp", -1);

  /**
   * Checks that a network source can be reached without consuming it: a TCP connection to the
   * host and port of a TCP-based URL ({@code rtsp}, {@code http(s)}, {@code rtmp}, {@code tcp}),
   * closed at once. UDP-based sources ({@code srt}, {@code udp}) only get their host resolved:
   * their first read tells.
   *
   * @throws SourceException (UNREADABLE) naming the URL (without credentials) and why
   */
  public static void checkReachable(String source, Duration timeout) throws SourceException {
    String shown = SourceReader.redact(source);
    URI uri;
    try {
      uri = new URI(source);
    } catch (URISyntaxException e) {
      throw new SourceException(SourceException.Kind.UNREADABLE, shown + " is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.getHost() == null) {
      throw new SourceException(SourceException.Kind.UNREADABLE, shown + " names no host");
    }
    Integer defaultPort = TCP_PORTS.get(scheme);
    int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort == null ? -1 : defaultPort;
    try {
      InetSocketAddress address = new InetSocketAddress(uri.getHost(), Math.max(port, 0));
      if (address.isUnresolved()) {
        throw new UnknownHostException(uri.getHost());
      }
      if (defaultPort == null || port < 0) {
        return;
      }
      try (Socket socket = new Socket()) {
        socket.connect(address, (int) timeout.toMillis());
      }
    } catch (UnknownHostException e) {
      throw new SourceException(SourceException.Kind.UNREADABLE, "cannot reach " + shown + ": unknown host " + uri.getHost());
    } catch (IOException e) {
      throw new SourceException(SourceException.Kind.UNREADABLE,
          "cannot reach " + shown + ": " + uri.getHost() + ":" + port + " " + e.getMessage());
    }
  }
}
