package dev.pestream.testing.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An SRT source: the ffmpeg program (Debian's, built with libsrt) as SRT listener on
 * {@code srt://127.0.0.1:PORT}, sending a clip as MPEG-TS in real time to the caller that
 * connects, looped.
 */
public final class SrtListener implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path folder;
  private final Path clip;
  private final int port;
  private ExternalProcess ffmpeg;

  private SrtListener(Path folder, Path clip, int port) {
    this.folder = folder;
    this.clip = clip;
    this.port = port;
  }

  /** Starts the listener and waits until its UDP port is bound. */
  public static SrtListener start(Path clip) throws IOException, InterruptedException {
    SrtListener listener = new SrtListener(Files.createTempDirectory("srt-"), clip, ExternalProcess.freeUdpPort());
    listener.launch();
    return listener;
  }

  /** The URL a caller connects to. */
  public String url() {
    return "srt://127.0.0.1:" + port;
  }

  /** Kills the sender, waits {@code down}, and starts a new listener on the same port (the clip from its start). */
  public void restart(Duration down) throws IOException, InterruptedException {
    ffmpeg.close();
    Thread.sleep(down.toMillis());
    launch();
  }

  private void launch() throws IOException, InterruptedException {
    ffmpeg = ExternalProcess.start("ffmpeg (SRT)", List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin",
        "-re", "-stream_loop", "-1", "-i", clip.toString(), "-c", "copy", "-f", "mpegts",
        "srt://127.0.0.1:" + port + "?mode=listener"), folder.resolve("ffmpeg.log"));
    ffmpeg.awaitReady("SRT port " + port, START_TIMEOUT, () -> ExternalProcess.udpBound(port));
  }

  @Override
  public void close() {
    if (ffmpeg != null) {
      ffmpeg.close();
    }
  }
}
