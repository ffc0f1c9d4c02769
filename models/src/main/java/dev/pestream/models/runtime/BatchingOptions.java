package dev.pestream.models.runtime;

import java.io.Serializable;
import java.time.Duration;

/**
 * Dynamic batching knobs for one shared session.
 *
 * @param maxBatch a batch runs as soon as it holds this many requests
 * @param maxWait  ... or when its oldest request has waited this long (zero: run whatever is queued)
 * @param queueCapacity requests that may wait; a submit blocks while the queue is full (backpressure)
 * @param workers threads that form and run batches concurrently on the one session (1 suits a GPU)
 */
public record BatchingOptions(int maxBatch, Duration maxWait, int queueCapacity, int workers) implements Serializable {

  public static final int DEFAULT_MAX_BATCH = 16;
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(5);
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;

  public BatchingOptions {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    }
    if (maxWait == null || maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must be >= 0, got " + maxWait);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be >= 1, got " + queueCapacity);
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    }
  }

  public static BatchingOptions defaults() {
    return new BatchingOptions(DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT, DEFAULT_QUEUE_CAPACITY, 1);
  }

  public static BatchingOptions of(int maxBatch, Duration maxWait) {
    return new BatchingOptions(maxBatch, maxWait, DEFAULT_QUEUE_CAPACITY, 1);
  }

  public BatchingOptions withQueueCapacity(int capacity) {
    return new BatchingOptions(maxBatch, maxWait, capacity, workers);
  }

  public BatchingOptions withWorkers(int count) {
    return new BatchingOptions(maxBatch, maxWait, queueCapacity, count);
  }
}
