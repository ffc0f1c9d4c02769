package dev.pestream.testing.net;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP sockets a process listens on, read from Linux's {@code /proc}: the process's socket
 * inodes ({@code /proc/PID/fd}) matched against the kernel's tables ({@code /proc/net/tcp},
 * {@code tcp6}) in state LISTEN.
 */
public final class ListeningSockets {
  /** One listening socket: its local address and port. */
  public record Listener(InetAddress address, int port) {
    public boolean loopback() {
      return address.isLoopbackAddress();
    }

    @Override
    public String toString() {
      return address.getHostAddress() + ":" + port;
    }
  }

  private static final String LISTEN = "0A";

  private ListeningSockets() {}

  /** What this JVM listens on. */
  public static List<Listener> ofThisProcess() throws IOException {
    return of(ProcessHandle.current().pid());
  }

  public static List<Listener> of(long pid) throws IOException {
    Set<String> inodes = socketInodes(pid);
    List<Listener> listeners = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path path = Path.of(table);
      if (!Files.exists(path)) {
        continue;
      }
      List<String> lines = Files.readAllLines(path);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        if (f.length > 9 && LISTEN.equals(f[3]) && inodes.contains(f[9])) {
          listeners.add(parse(f[1]));
        }
      }
    }
    return listeners;
  }

  private static Set<String> socketInodes(long pid) throws IOException {
    Set<String> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException closedMeanwhile) {
          // a descriptor closed while listing is not a listener
        }
      }
    }
    return inodes;
  }

  /** {@code 0100007F:1F90}: the address in the kernel's byte order (32-bit words, host-endian), port in hex. */
  static Listener parse(String hexAddressAndPort) throws UnknownHostException {
    String[] parts = hexAddressAndPort.split(":");
    byte[] raw = new BigInteger("01" + parts[0], 16).toByteArray();
    byte[] words = new byte[parts[0].length() / 2];
    System.arraycopy(raw, raw.length - words.length, words, 0, words.length);
    byte[] address = new byte[words.length];
    for (int w = 0; w < words.length; w += 4) { // each 32-bit word is little-endian on x86
      for (int b = 0; b < 4; b++) {
        address[w + b] = words[w + 3 - b];
      }
    }
    return new Listener(InetAddress.getByAddress(address), Integer.parseInt(parts[1], 16));
  }
}
