package dev.pestream.console;

/** Names of the console's counters, as {@code GET /api/status} reports them. */
public final class ConsoleMetricNames {
  private ConsoleMetricNames() {}

  /** Window embeddings added to the index. */
  public static final String EMBEDDINGS_INDEXED = "embeddingsIndexed";
  /** Embeddings skipped: wrong dimension, unknown model id, or not decodable. */
  public static final String EMBEDDINGS_SKIPPED = "embeddingsSkipped";
  /** Spans, alerts, tag changes and captions added to the timelines. */
  public static final String TIMELINE_RECORDS = "timelineRecords";
  /** Timeline records that could not be decoded (skipped). */
  public static final String TIMELINE_RECORDS_SKIPPED = "timelineRecordsSkipped";
  /** Times a follower failed (a Kafka error such as a missing ACL) and started over after a backoff. */
  public static final String FOLLOWER_RESTARTS = "followerRestarts";
}
