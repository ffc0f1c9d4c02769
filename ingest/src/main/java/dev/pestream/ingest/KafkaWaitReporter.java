package dev.pestream.ingest;

import java.util.function.LongSupplier;

/**
 * Tells the operator when Kafka stops acknowledging: a daemon thread that looks at the
 * publisher's oldest unacknowledged record twice a second, prints {@code waiting for Kafka at
 * ...} once the wait passes {@link #QUIET_MILLIS} (then every {@link #REPEAT_MILLIS}), and {@code
 * Kafka is back} when acknowledgements resume. A thread of its own because the ingesting thread
 * may itself be blocked in a send while the producer's buffer is full.
 */
final class KafkaWaitReporter implements AutoCloseable {
  /** Stalls shorter than this (a slow ack, a leader change) are not worth a line. */
  static final long QUIET_MILLIS = 3_000;
  static final long REPEAT_MILLIS = 5_000;
  private static final long POLL_MILLIS = 500;

  private final LongSupplier stalledMillis;
  private final LongSupplier pendingRecords;
  private final String bootstrap;
  private final IngestProgress progress;
  private final Thread thread;
  private volatile boolean closed;
  // guarded by observe()'s lock: the watching thread and close() both observe
  private long reportedAt = -1;
  private long longest;

  private KafkaWaitReporter(
      LongSupplier stalledMillis, LongSupplier pendingRecords, String bootstrap, IngestProgress progress) {
    this.stalledMillis = stalledMillis;
    this.pendingRecords = pendingRecords;
    this.bootstrap = bootstrap;
    this.progress = progress;
    this.thread = new Thread(this::watch, "pestream-kafka-wait");
    thread.setDaemon(true);
  }

  static KafkaWaitReporter start(ChunkPublisher publisher, String bootstrap, IngestProgress progress) {
    return start(publisher::stalledMillis, publisher::pendingRecords, bootstrap, progress);
  }

  /** Watches {@code stalledMillis} (0 while nothing waits) and reports {@code pendingRecords} with it. */
  static KafkaWaitReporter start(
      LongSupplier stalledMillis, LongSupplier pendingRecords, String bootstrap, IngestProgress progress) {
    KafkaWaitReporter reporter = new KafkaWaitReporter(stalledMillis, pendingRecords, bootstrap, progress);
    reporter.thread.start();
    return reporter;
  }

  private void watch() {
    while (!closed) {
      observe();
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One look at the publisher: a waiting line when due, the back line once acknowledgements resume. */
  private synchronized void observe() {
    long stalled = stalledMillis.getAsLong();
    if (stalled >= QUIET_MILLIS && (reportedAt < 0 || stalled - reportedAt >= REPEAT_MILLIS)) {
      progress.kafkaWaiting(bootstrap, stalled, pendingRecords.getAsLong());
      reportedAt = stalled;
    } else if (reportedAt >= 0 && stalled < reportedAt) {
      // acknowledged since the last line: the stall clock restarted
      progress.kafkaBack(longest);
      reportedAt = -1;
    }
    longest = stalled;
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Kafka may have come back less than a poll before ingestion ended (the flush drained it)
    observe();
  }
}
