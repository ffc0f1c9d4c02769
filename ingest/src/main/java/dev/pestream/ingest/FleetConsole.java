package dev.pestream.ingest;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The status of a fleet on the console: one line per stream (state, sequence number, last
 * chunk, reconnects, bitrate, behind real time, last error). On a terminal the block is redrawn
 * in place; otherwise it is printed as plain lines, each with a timestamp. Events (drops, errors,
 * reloads) go on their own lines above it.
 */
final class FleetConsole {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final PrintStream out;
  private final boolean terminal;
  private int drawnLines;

  FleetConsole(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** An event line (kept above the redrawn block on a terminal). */
  synchronized void event(String message) {
    erase();
    out.println(TIME.format(Instant.now()) + " " + message);
    out.flush();
  }

  /** Draws the status of every stream. */
  synchronized void draw(List<StreamStatus.Snapshot> streams, long nowMillis) {
    erase();
    String stamp = terminal ? "" : TIME.format(Instant.ofEpochMilli(nowMillis)) + " ";
    for (StreamStatus.Snapshot s : streams) {
      out.println(stamp + line(s, nowMillis));
    }
    out.flush();
    drawnLines = terminal ? streams.size() : 0;
  }

  private void erase() {
    if (drawnLines > 0) {
      out.print("\033[" + drawnLines + "F\033[J"); // to the block's first line, clear to the end
      drawnLines = 0;
    }
  }

  /** {@code cam-1  streaming  seq 41  last chunk 0.4 s ago  reconnects 0  1.23 Mbit/s  behind 1.1 s  [error]} */
  static String line(StreamStatus.Snapshot s, long nowMillis) {
    String last = s.lastChunkEpochMillis() == 0
        ? "-"
        : String.format(Locale.ROOT, "%.1f s ago", (nowMillis - s.lastChunkEpochMillis()) / 1000.0);
    String behind = Double.isNaN(s.behindSeconds()) ? "-" : String.format(Locale.ROOT, "%.1f s", s.behindSeconds());
    return String.format(
        Locale.ROOT,
        "%-16s %-12s seq %-7d last chunk %-11s reconnects %-4d %6.2f Mbit/s  behind %s%s",
        s.streamId(),
        s.state().name().toLowerCase(Locale.ROOT),
        s.nextSeq(),
        last,
        s.reconnects(),
        s.bitsPerSecond() / 1e6,
        behind,
        s.error() == null ? "" : "  " + s.error());
  }
}
