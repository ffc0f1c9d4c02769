package dev.pestream.operators.common;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.Models;
import dev.pestream.models.metrics.ModelMetricNames;
import dev.pestream.operators.support.TestModels;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/** Stages open their models through ModelsSpec; the batching metrics land where the docs say. */
class ModelsSpecTest {
  /** Metric paths below the operator's group, dotted, as registered. */
  private final Map<String, Object> paths = new ConcurrentHashMap<>();

  @Test
  void modelMetricsAreUnderTheOperatorsModelsGroup() throws Exception {
    InterceptingOperatorMetricGroup operatorGroup = new InterceptingOperatorMetricGroup() {
      @Override
      public MetricGroup addGroup(String name) {
        return new RecordingGroup(name + ".");
      }
    };
    MockEnvironment environment = new MockEnvironmentBuilder()
        .setMetricGroup(new InterceptingTaskMetricGroup() {
          @Override
          public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> variables) {
            return operatorGroup;
          }
        })
        .build();
    try (var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new OpensAudioCodec()), environment)) {
      harness.open();
      String graph = ModelMetricNames.GROUP + ".audio_codec.";
      assertThat(ModelMetricNames.GROUP).isEqualTo("models");
      assertThat(paths).containsKeys(graph + ModelMetricNames.BATCHES, graph + ModelMetricNames.BATCH_SIZE,
          graph + ModelMetricNames.PROVIDER);
      assertThat(paths.keySet()).as("<operator>.models.<graph>.<metric>, nothing in between")
          .allMatch(path -> path.startsWith(graph));
    }
  }

  /** A stage reduced to opening its models. */
  private static final class OpensAudioCodec extends ProcessFunction<String, String> {
    private static final long serialVersionUID = 1L;
    private final ModelsSpec spec = TestModels.contract();
    private transient Models models;

    @Override
    public void open(OpenContext openContext) {
      models = spec.open(getRuntimeContext(), List.of("audio_codec"), List.of());
    }

    @Override
    public void close() {
      if (models != null) {
        models.close();
      }
    }

    @Override
    public void processElement(String value, Context ctx, Collector<String> out) {}
  }

  private final class RecordingGroup extends UnregisteredMetricsGroup {
    private final String prefix;

    RecordingGroup(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public MetricGroup addGroup(String name) {
      return new RecordingGroup(prefix + name + ".");
    }

    @Override
    public <C extends Counter> C counter(String name, C counter) {
      paths.put(prefix + name, counter);
      return counter;
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
      paths.put(prefix + name, gauge);
      return gauge;
    }

    @Override
    public <H extends Histogram> H histogram(String name, H histogram) {
      paths.put(prefix + name, histogram);
      return histogram;
    }
  }
}
