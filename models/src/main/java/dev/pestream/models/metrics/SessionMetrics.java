package dev.pestream.models.metrics;

import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;

/**
 * The metrics of one shared session (names in {@link ModelMetricNames}), kept as Flink metric
 * objects so operators can bind them to their metric groups with {@link #register}.
 */
public final class SessionMetrics implements BatchListener {
  /** Values each histogram keeps. */
  public static final int WINDOW = 4096;

  private final String graph;
  private final String provider;
  private final IntSupplier queueDepth;
  private final WindowHistogram batchSize = new WindowHistogram(WINDOW);
  private final WindowHistogram queueWaitMicros = new WindowHistogram(WINDOW);
  private final WindowHistogram runTimeMicros = new WindowHistogram(WINDOW);
  private final Counter requests = new ThreadSafeSimpleCounter();
  private final Counter batches = new ThreadSafeSimpleCounter();
  private final Counter failedBatches = new ThreadSafeSimpleCounter();

  public SessionMetrics(String graph, String provider, IntSupplier queueDepth) {
    this.graph = graph;
    this.provider = provider;
    this.queueDepth = queueDepth;
  }

  @Override
  public void onBatch(BatchEvent event) {
    batchSize.update(event.batchSize());
    for (long wait : event.queueWaitNanos()) {
      queueWaitMicros.update(TimeUnit.NANOSECONDS.toMicros(wait));
    }
    runTimeMicros.update(TimeUnit.NANOSECONDS.toMicros(event.runNanos()));
    requests.inc(event.batchSize());
    batches.inc();
    if (event.failure() != null) {
      failedBatches.inc();
    }
  }

  /** Registers every metric under {@code group.models.<graph>}; returns that group. */
  public MetricGroup register(MetricGroup group) {
    MetricGroup g = group.addGroup(ModelMetricNames.GROUP).addGroup(graph);
    g.histogram(ModelMetricNames.BATCH_SIZE, batchSize);
    g.histogram(ModelMetricNames.QUEUE_WAIT_MICROS, queueWaitMicros);
    g.histogram(ModelMetricNames.RUN_TIME_MICROS, runTimeMicros);
    g.gauge(ModelMetricNames.QUEUE_DEPTH, (Gauge<Integer>) queueDepth::getAsInt);
    g.gauge(ModelMetricNames.PROVIDER, (Gauge<String>) () -> provider);
    g.counter(ModelMetricNames.REQUESTS, requests);
    g.counter(ModelMetricNames.BATCHES, batches);
    g.counter(ModelMetricNames.FAILED_BATCHES, failedBatches);
    return g;
  }

  public String graph() {
    return graph;
  }

  public String provider() {
    return provider;
  }

  public int queueDepth() {
    return queueDepth.getAsInt();
  }

  public WindowHistogram batchSize() {
    return batchSize;
  }

  public WindowHistogram queueWaitMicros() {
    return queueWaitMicros;
  }

  public WindowHistogram runTimeMicros() {
    return runTimeMicros;
  }

  public Counter requests() {
    return requests;
  }

  public Counter batches() {
    return batches;
  }

  public Counter failedBatches() {
    return failedBatches;
  }
}
