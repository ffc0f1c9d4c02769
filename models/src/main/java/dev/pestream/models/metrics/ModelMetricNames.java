package dev.pestream.models.metrics;

/**
 * Metric names of a shared model session, as {@link SessionMetrics#register} binds them under
 * {@code <operator group>.models.<graph>}. The values describe the session, which every operator
 * instance in the TaskManager shares: each subtask reports the same JVM-wide figures.
 */
public final class ModelMetricNames {
  private ModelMetricNames() {}

  /** Group added to the operator's metric group; a sub-group per graph follows. */
  public static final String GROUP = "models";
  /** Histogram: requests per batch. */
  public static final String BATCH_SIZE = "batchSize";
  /** Histogram: microseconds each request waited in the queue before its batch ran. */
  public static final String QUEUE_WAIT_MICROS = "queueWaitMicros";
  /** Histogram: microseconds one batch took (collate, run, scatter). */
  public static final String RUN_TIME_MICROS = "runTimeMicros";
  /** Gauge: requests waiting now. */
  public static final String QUEUE_DEPTH = "queueDepth";
  /** Gauge (string): the execution provider the graph runs on (TENSORRT, CUDA, CPU). */
  public static final String PROVIDER = "provider";
  /** Counter: requests that completed (successfully or not). */
  public static final String REQUESTS = "requests";
  /** Counter: batches run. */
  public static final String BATCHES = "batches";
  /** Counter: batches that failed (their requests got the error). */
  public static final String FAILED_BATCHES = "failedBatches";
}
