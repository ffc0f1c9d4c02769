package dev.pestream.ingest;

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

  private final ChunkPublisher publisher;
  private final String bootstrap;
  private final IngestProgress progress;
  private final Thread thread;
  private volatile boolean closed;

  private KafkaWaitReporter(ChunkPublisher publisher, String bootstrap, IngestProgress progress) {
    this.publisher = publisher;
    this.bootstrap = bootstrap;
    this.progress = progress;
    this.thread = new Thread(this::watch, "pestream-kafka-wait");
    thread.setDaemon(true);
  }

  static KafkaWaitReporter start(ChunkPublisher publisher, String bootstrap, IngestProgress progress) {
    KafkaWaitReporter reporter = new KafkaWaitReporter(publisher, bootstrap, progress);
    reporter.thread.start();
    return reporter;
  }

  private void watch() {
    long reportedAt = -1;
    long longest = 0;
    while (!closed) {
      long stalled = publisher.stalledMillis();
      if (stalled >= QUIET_MILLIS && (reportedAt < 0 || stalled - reportedAt >= REPEAT_MILLIS)) {
        progress.kafkaWaiting(bootstrap, stalled, publisher.pendingRecords());
        reportedAt = stalled;
      } else if (reportedAt >= 0 && stalled < reportedAt) {
        // acknowledged since the last line: the stall clock restarted
        progress.kafkaBack(longest);
        reportedAt = -1;
      }
      longest = stalled;
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
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
  }
}
