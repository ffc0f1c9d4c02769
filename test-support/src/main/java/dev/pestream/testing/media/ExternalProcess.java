package dev.pestream.testing.media;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server program the tests start (VLC, ffmpeg, nginx): output to a log file, stopped with its
 * whole process tree (a wrapper such as {@code runuser} must not leave its child behind).
 */
public final class ExternalProcess implements AutoCloseable {
  private static final Duration GRACE = Duration.ofSeconds(3);

  private final String name;
  private final Process process;
  private final Path log;

  private ExternalProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code command}; stdout and stderr are appended to {@code log}. */
  public static ExternalProcess start(String name, List<String> command, Path log) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return new ExternalProcess(name, builder.start(), log);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until the program exits. */
  public void waitFor() throws InterruptedException {
    process.waitFor();
  }

  /**
   * Waits until {@code ready} holds; fails with the program's log when it exits first or the
   * timeout passes.
   */
  public void awaitReady(String what, Duration timeout, BooleanSupplier ready) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new IOException(name + " exited (" + process.exitValue() + ") before " + what + ": " + logTail());
      }
      if (System.nanoTime() > deadline) {
        close();
        throw new IOException(name + " not ready (" + what + ") after " + timeout.toSeconds() + " s: " + logTail());
      }
      Thread.sleep(50);
    }
  }

  /** The end of the program's log, for failure messages. */
  public String logTail() {
    try {
      String text = Files.readString(log);
      return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGTERM to the tree, children first; SIGKILL to whatever is left after a grace period. */
  @Override
  public void close() {
    List<ProcessHandle> tree = process.descendants().toList();
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle child : tree) {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
    }
  }

  /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
  public static boolean acceptsTcp(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a UDP socket is bound to {@code port} on this machine (from /proc/net/udp). */
  public static boolean udpBound(int port) {
    String hex = String.format(Locale.ROOT, ":%04X ", port);
    for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] fields = line.trim().split("\\s+");
          if (fields.length > 1 && (fields[1] + " ").endsWith(hex)) {
            return true;
          }
        }
      } catch (IOException e) {
        // no IPv6 table on this machine
      }
    }
    return false;
  }

  /** A free TCP port on the loopback interface. */
  public static int freeTcpPort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A free UDP port on the loopback interface. */
  public static int freeUdpPort() throws IOException {
    try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether this JVM runs as root (programs such as VLC refuse to). */
  public static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
