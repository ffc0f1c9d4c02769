package dev.pestream.models.metrics;

/**
 * Told about every batch after its requests were completed. Runs on the batching thread: keep it
 * cheap (a slow listener delays the next batch). Exceptions are logged and ignored.
 */
@FunctionalInterface
public interface BatchListener {
  void onBatch(BatchEvent event);
}
