package dev.pestream.testing.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An SRT source: the ffmpeg program (Debian's, built with libsrt) as SRT listener on
 * {@code srt://127.0.0.1:PORT}, sending a clip as MPEG-TS in real time to the caller that
 * connects, looped. The program serves one caller and exits when that caller goes, so it is
 * started again each time, as a server that keeps listening.
 */
public final class SrtListener implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path folder;
  private final Path clip;
  private final int port;
  private volatile ExternalProcess ffmpeg;
  private volatile boolean closed;
  private volatile long relaunchDelayMillis;
  private Thread supervisor;

  private SrtListener(Path folder, Path clip, int port) {
    this.folder = folder;
    this.clip = clip;
    this.port = port;
  }

  /** Starts the listener and waits until its UDP port is bound. */
  public static SrtListener start(Path clip) throws IOException, InterruptedException {
    SrtListener listener = new SrtListener(Files.createTempDirectory("srt-"), clip, ExternalProcess.freeUdpPort());
    listener.launch();
    listener.supervisor = new Thread(listener::relaunchWhileOpen, "srt-listener-" + listener.port);
    listener.supervisor.setDaemon(true);
    listener.supervisor.start();
    return listener;
  }

  /** The URL a caller connects to. */
  public String url() {
    return "srt://127.0.0.1:" + port;
  }

  /** Kills the sender; a new listener starts on the same port {@code down} later (the clip from its start). */
  public void restart(Duration down) {
    relaunchDelayMillis = down.toMillis();
    ffmpeg.close();
  }

  private void relaunchWhileOpen() {
    try {
      while (!closed) {
        ffmpeg.waitFor();
        Thread.sleep(relaunchDelayMillis);
        relaunchDelayMillis = 0;
        if (!closed) {
          launch();
        }
      }
    } catch (IOException e) {
      System.err.println("SRT listener on port " + port + " could not be started again: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void launch() throws IOException, InterruptedException {
    ffmpeg = ExternalProcess.start("ffmpeg (SRT)", List.of("ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin",
        "-re", "-stream_loop", "-1", "-i", clip.toString(), "-c", "copy", "-f", "mpegts",
        "srt://127.0.0.1:" + port + "?mode=listener"), folder.resolve("ffmpeg.log"));
    ffmpeg.awaitReady("SRT port " + port, START_TIMEOUT, () -> ExternalProcess.udpBound(port));
  }

  @Override
  public void close() {
    closed = true;
    if (supervisor != null) {
      supervisor.interrupt();
      try {
        supervisor.join(10_000); // it may be starting a listener: close that one, not the one before
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ffmpeg != null) {
      ffmpeg.close();
    }
  }
}
