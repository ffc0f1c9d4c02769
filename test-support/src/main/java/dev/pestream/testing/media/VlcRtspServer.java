package dev.pestream.testing.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An RTSP server: VLC ({@code cvlc}, Debian's vlc-bin) playing a clip once in real time as RTP
 * over UDP, announced at {@code rtsp://127.0.0.1:PORT/live}. VLC refuses to run as root, so as
 * root it runs as {@code nobody} (through {@code runuser}) on a world-readable copy of the clip.
 * RTP-over-TCP interleaving is refused by this server (461); FFmpeg's RTSP client tries UDP first.
 */
public final class VlcRtspServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path folder;
  private final Path clip;
  private final int port;
  private ExternalProcess vlc;

  private VlcRtspServer(Path folder, Path clip, int port) {
    this.folder = folder;
    this.clip = clip;
    this.port = port;
  }

  /** Starts serving {@code clip} (played from its start) and waits until the port accepts connections. */
  public static VlcRtspServer start(Path clip) throws IOException, InterruptedException {
    Path folder = Files.createTempDirectory("vlc-rtsp-");
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path copy = Files.copy(clip, folder.resolve(clip.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
    VlcRtspServer server = new VlcRtspServer(folder, copy, ExternalProcess.freeTcpPort());
    server.launch();
    return server;
  }

  public String url() {
    return "rtsp://127.0.0.1:" + port + "/live";
  }

  /** Kills the server, waits {@code down}, and starts it again on the same port (the clip from its start). */
  public void restart(Duration down) throws IOException, InterruptedException {
    vlc.close();
    Thread.sleep(down.toMillis());
    launch();
  }

  private void launch() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (ExternalProcess.runningAsRoot()) {
      command.addAll(List.of("runuser", "-u", "nobody", "--"));
    }
    command.addAll(List.of("cvlc", "-q", "--no-video-title-show", clip.toString(),
        "--sout", "#rtp{sdp=" + url() + "}", "--sout-keep", "vlc://quit"));
    vlc = ExternalProcess.start("VLC", command, folder.resolve("vlc.log"));
    vlc.awaitReady("RTSP port " + port, START_TIMEOUT, () -> ExternalProcess.acceptsTcp(port));
  }

  @Override
  public void close() {
    if (vlc != null) {
      vlc.close();
    }
  }
}
