package dev.pestream.testing.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * A live HLS stream that keeps growing: the ffmpeg program's HLS muxer writes 1 s segments of a
 * looped clip in real time into a folder (a sliding playlist, old segments deleted), and a real
 * nginx (Debian's nginx-light, a generated configuration, a free port, one process, no daemon)
 * serves the folder at {@code http://127.0.0.1:PORT/live.m3u8}.
 */
public final class LiveHlsServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final String PLAYLIST = "live.m3u8";

  private final Path folder;
  private final Path site;
  private final int port;
  private ExternalProcess segmenter;
  private ExternalProcess nginx;

  private LiveHlsServer(Path folder, int port) {
    this.folder = folder;
    this.site = folder.resolve("site");
    this.port = port;
  }

  /**
   * Starts writing {@code clip} (looped, real time) and serving it; returns once the playlist
   * lists {@code minSegments} segments, so that a player has a live window to start from.
   */
  public static LiveHlsServer start(Path clip, int minSegments) throws IOException, InterruptedException {
    Path folder = Files.createTempDirectory("hls-");
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    LiveHlsServer server = new LiveHlsServer(folder, ExternalProcess.freeTcpPort());
    Files.createDirectories(server.site);
    try {
      server.segmenter = ExternalProcess.start("ffmpeg (HLS)", List.of("ffmpeg", "-hide_banner", "-loglevel", "warning",
          "-nostdin", "-re", "-stream_loop", "-1", "-i", clip.toString(), "-c", "copy", "-f", "hls",
          "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist",
          server.site.resolve(PLAYLIST).toString()), folder.resolve("ffmpeg.log"));
      server.launchNginx();
      server.segmenter.awaitReady(minSegments + " segments", START_TIMEOUT, () -> server.segmentsListed() >= minSegments);
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  public String url() {
    return "http://127.0.0.1:" + port + "/" + PLAYLIST;
  }

  /** Stops the HTTP server, waits {@code down}, starts it again on the same port; the segmenter keeps writing. */
  public void restartHttp(Duration down) throws IOException, InterruptedException {
    nginx.close();
    Thread.sleep(down.toMillis());
    launchNginx();
  }

  private int segmentsListed() {
    try {
      return (int) Files.readAllLines(site.resolve(PLAYLIST)).stream().filter(l -> l.startsWith("#EXTINF")).count();
    } catch (IOException e) {
      return 0; // not written yet
    }
  }

  private void launchNginx() throws IOException, InterruptedException {
    Path conf = folder.resolve("nginx.conf");
    Files.writeString(conf, String.join("\n",
        "daemon off;",
        "master_process off;",
        "pid " + folder.resolve("nginx.pid") + ";",
        "error_log " + folder.resolve("nginx-error.log") + " warn;",
        "events { worker_connections 64; }",
        "http {",
        "  access_log off;",
        // Debian's build puts its temp folders under /var/lib/nginx: keep them in ours
        "  client_body_temp_path " + folder.resolve("body") + ";",
        "  proxy_temp_path " + folder.resolve("proxy") + ";",
        "  fastcgi_temp_path " + folder.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + folder.resolve("uwsgi") + ";",
        "  scgi_temp_path " + folder.resolve("scgi") + ";",
        "  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }",
        "  server {",
        "    listen 127.0.0.1:" + port + ";",
        "    root " + site + ";",
        "    location ~ \\.m3u8$ { add_header Cache-Control no-cache; }",
        "  }",
        "}",
        ""));
    nginx = ExternalProcess.start("nginx", List.of("nginx", "-p", folder.toString(), "-c", conf.toString(),
        "-e", folder.resolve("nginx-error.log").toString()), folder.resolve("nginx.log"));
    nginx.awaitReady("HTTP port " + port, START_TIMEOUT, () -> ExternalProcess.acceptsTcp(port));
  }

  @Override
  public void close() {
    if (nginx != null) {
      nginx.close();
    }
    if (segmenter != null) {
      segmenter.close();
    }
  }
}
