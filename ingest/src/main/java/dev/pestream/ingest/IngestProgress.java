package dev.pestream.ingest;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Reports ingestion: on a terminal a progress line redrawn in place (chunks, bytes, media time,
 * realtime factor); otherwise nothing until the one-line summary at the end.
 */
public class IngestProgress {
  private static final long REDRAW_NANOS = 200_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private long lastDraw;

  /**
   * @param terminal draw a live progress line (true when attached to a TTY)
   */
  public IngestProgress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** Whether the progress goes to a terminal (redrawn lines) rather than a log. */
  public boolean isTerminal() {
    return terminal;
  }

  /** Progress to stderr, live when the process has a console. */
  public static IngestProgress forConsole() {
    return new IngestProgress(System.err, System.console() != null);
  }

  /** A silent reporter (in-process callers that print their own). */
  public static IngestProgress silent() {
    return new IngestProgress(new PrintStream(java.io.OutputStream.nullOutputStream()), false);
  }

  /** Called after every published chunk with the totals so far. */
  public synchronized void chunk(IngestSummary soFar) {
    if (!terminal) {
      return;
    }
    long now = System.nanoTime();
    if (now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    out.print("\r" + line(soFar) + "   ");
    out.flush();
  }

  /** A live source dropped; reconnecting after {@code backoffMillis}. */
  public void reconnecting(int attempt, long backoffMillis, String reason) {
    if (terminal) {
      out.println();
    }
    out.printf(Locale.ROOT, "source dropped (%s); reconnect #%d in %d ms%n", reason, attempt, backoffMillis);
    out.flush();
  }

  /**
   * Records have waited {@code stalledMillis} for Kafka at {@code bootstrap}; {@code buffered}
   * are held by the producer. Printed on its own line; {@link Ingest} calls it at most every few
   * seconds.
   */
  public synchronized void kafkaWaiting(String bootstrap, long stalledMillis, long buffered) {
    if (terminal) {
      out.println();
    }
    out.printf(Locale.ROOT, "waiting for Kafka at %s (%d s; chunks buffered: %d)%n", bootstrap, stalledMillis / 1000, buffered);
    out.flush();
  }

  /** Kafka acknowledges records again after {@link #kafkaWaiting}. */
  public synchronized void kafkaBack(long stalledMillis) {
    if (terminal) {
      out.println();
    }
    out.printf(Locale.ROOT, "Kafka is back (after %d s)%n", stalledMillis / 1000);
    out.flush();
  }

  /** Something the operator should know that does not stop ingestion. */
  public void warning(String message) {
    if (terminal) {
      out.println();
    }
    out.println("warning: " + message);
    out.flush();
  }

  /** Ingestion ended. */
  public void finished(IngestSummary summary, String source, String topic, String streamId) {
    if (terminal) {
      out.print("\r" + line(summary) + "   \n");
    }
    out.println(summary(summary, source, topic, streamId));
    out.flush();
  }

  static String line(IngestSummary s) {
    return String.format(
        Locale.ROOT,
        "[%s] chunks %d | %s | media %.1f s | %.1fx realtime",
        bar(s),
        s.chunks(),
        megabytes(s.bytes()),
        s.mediaUs() / 1e6,
        s.realtimeFactor());
  }

  private static String bar(IngestSummary s) {
    int width = 10;
    int pos = (int) (s.chunks() % (2 * width - 2));
    int at = pos < width ? pos : 2 * width - 2 - pos;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < width; i++) {
      sb.append(i == at ? '#' : '-');
    }
    return sb.toString();
  }

  static String summary(IngestSummary s, String source, String topic, String streamId) {
    String ended =
        switch (s.end()) {
          case SOURCE_ENDED -> "source ended";
          case SOURCE_LOST -> "source lost";
          case STOPPED -> "stopped";
        };
    return String.format(
        Locale.ROOT,
        "ingested %d chunks (%s, %d claim-checked, %.1f s of media) from %s to topic %s as stream %s in %.1f s"
            + " (%.1fx realtime, %d reconnects, %s; next seq %d)",
        s.chunks(),
        megabytes(s.bytes()),
        s.claimChecked(),
        s.mediaUs() / 1e6,
        source,
        topic,
        streamId,
        s.wallNanos() / 1e9,
        s.realtimeFactor(),
        s.reconnects(),
        ended,
        s.nextSeq());
  }

  private static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }
}
