package dev.pestream.models.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.TestBundles;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.BatchingOptions;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

/** Metrics bind to a Flink metric group under models.<graph> and report real batches. */
class SessionMetricsTest {

  /** A Flink metric group that keeps what is registered, by dotted path. */
  static final class RecordingGroup extends UnregisteredMetricsGroup {
    final Map<String, Metric> metrics;
    final String prefix;

    RecordingGroup(Map<String, Metric> metrics, String prefix) {
      this.metrics = metrics;
      this.prefix = prefix;
    }

    @Override
    public MetricGroup addGroup(String name) {
      return new RecordingGroup(metrics, prefix + name + ".");
    }

    @Override
    public <C extends Counter> C counter(String name, C counter) {
      metrics.put(prefix + name, counter);
      return counter;
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
      metrics.put(prefix + name, gauge);
      return gauge;
    }

    @Override
    public <H extends Histogram> H histogram(String name, H histogram) {
      metrics.put(prefix + name, histogram);
      return histogram;
    }
  }

  @Test
  void registeredMetricsDescribeTheBatches() {
    RuntimeOptions options = RuntimeOptions.builder().providers(ExecutionProvider.CPU).graphs("audio_encoder")
        .batching(new BatchingOptions(4, Duration.ofSeconds(1), 31, 1)).build();
    try (Models models = Models.open(TestBundles.dir(), options)) {
      Map<String, Metric> metrics = new HashMap<>();
      models.registerMetrics(new RecordingGroup(metrics, ""));
      String p = "models.audio_encoder.";
      assertThat(metrics).containsOnlyKeys(p + "batchSize", p + "queueWaitMicros", p + "runTimeMicros", p + "queueDepth",
          p + "provider", p + "requests", p + "batches", p + "failedBatches");

      float[][] window = new float[5][128];
      List<CompletableFuture<float[]>> calls = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        calls.add(models.audioEncoder().embedAsync(window));
      }
      calls.forEach(CompletableFuture::join);
      Histogram batchSize = (Histogram) metrics.get(p + ModelMetricNames.BATCH_SIZE);
      long deadline = System.currentTimeMillis() + 5000;
      // the batch listener may run after the calls complete; it counts batches last
      while (((Counter) metrics.get(p + ModelMetricNames.BATCHES)).getCount() < 2 && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(((Counter) metrics.get(p + ModelMetricNames.REQUESTS)).getCount()).isEqualTo(6);
      assertThat(((Counter) metrics.get(p + ModelMetricNames.BATCHES)).getCount()).isEqualTo(2);
      assertThat(batchSize.getStatistics().getValues()).containsExactly(2, 4);
      Histogram wait = (Histogram) metrics.get(p + ModelMetricNames.QUEUE_WAIT_MICROS);
      assertThat(wait.getCount()).isEqualTo(6);
      assertThat(wait.getStatistics().getMax()).as("the second batch of 2 waited ~maxWait").isGreaterThanOrEqualTo(950_000);
      assertThat(((Histogram) metrics.get(p + ModelMetricNames.RUN_TIME_MICROS)).getCount()).isEqualTo(2);
      assertThat(((Gauge<?>) metrics.get(p + ModelMetricNames.PROVIDER)).getValue()).isEqualTo("CPU");
      assertThat(((Gauge<?>) metrics.get(p + ModelMetricNames.QUEUE_DEPTH)).getValue()).isEqualTo(0);
      assertThat(((Counter) metrics.get(p + ModelMetricNames.FAILED_BATCHES)).getCount()).isZero();
    }
  }

  @Test
  void windowHistogramKeepsTheLastValues() {
    WindowHistogram h = new WindowHistogram(4);
    for (long v = 1; v <= 10; v++) {
      h.update(v);
    }
    assertThat(h.getCount()).isEqualTo(10);
    var stats = h.getStatistics();
    assertThat(stats.getValues()).containsExactly(7, 8, 9, 10);
    assertThat(stats.getMin()).isEqualTo(7);
    assertThat(stats.getMax()).isEqualTo(10);
    assertThat(stats.getMean()).isEqualTo(8.5);
    assertThat(stats.getQuantile(0.5)).isEqualTo(8);
    assertThat(stats.getQuantile(0.99)).isEqualTo(10);
    assertThat(new WindowHistogram(3).getStatistics().getQuantile(0.99)).isZero();
  }
}
