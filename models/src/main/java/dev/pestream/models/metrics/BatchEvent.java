package dev.pestream.models.metrics;

/**
 * One batch a shared session ran.
 *
 * @param graph the graph name
 * @param batchSize requests in the batch
 * @param queueWaitNanos per request: time from submit until its batch started
 * @param runNanos time to collate, run and scatter the batch
 * @param failure the error every request of the batch got, or null
 */
public record BatchEvent(String graph, int batchSize, long[] queueWaitNanos, long runNanos, Throwable failure) {}
