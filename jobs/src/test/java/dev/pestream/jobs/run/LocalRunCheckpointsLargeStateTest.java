package dev.pestream.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.jobs.config.JobConfig;
import dev.pestream.testing.Poll;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * A local run (pestream run outside a cluster; the demo shares {@link LocalFlink#fileCheckpoints})
 * checkpoints a subtask state of 8 MB — as the feature caches of about 20 streams are — where
 * Flink's MiniCluster default, checkpoints in JobManager memory, refuses anything over 5 MB and
 * so fails every checkpoint.
 */
class LocalRunCheckpointsLargeStateTest {
  private static final int STATE_BYTES_PER_KEY = 4 << 20;
  /** Checkpoints completed after both keys held their state (the MiniCluster runs in this JVM). */
  static final AtomicLong COMPLETED_WITH_STATE = new AtomicLong();

  @Test
  void aLocalRunCheckpointsMoreThanFiveMegabytesOfState() throws Exception {
    StreamExecutionEnvironment env = RunCommand.environment(JobConfig.of(Map.of(
        "job.parallelism", "1", "job.checkpoint-interval", "300 ms")));
    env.fromSequence(0, Long.MAX_VALUE).keyBy(i -> i % 2).process(new LargeState()).uid("large-state").name("large state")
        .sinkTo(new DiscardingSink<>());
    JobClient job = env.executeAsync("large state checkpoint");
    try {
      Poll.until("a checkpoint of 8 MB of keyed state completed", Duration.ofSeconds(60),
          COMPLETED_WITH_STATE::get, n -> n > 0);
    } finally {
      job.cancel().get();
    }
  }

  /** Keeps 4 MB per key and counts the checkpoints that complete once both keys have it. */
  static final class LargeState extends KeyedProcessFunction<Long, Long, Long> implements CheckpointListener {
    private transient ValueState<byte[]> bytes;
    private int keysFilled;

    @Override
    public void open(OpenContext context) {
      bytes = getRuntimeContext().getState(new ValueStateDescriptor<>("bytes", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(Long value, Context ctx, Collector<Long> out) throws Exception {
      if (bytes.value() == null) {
        byte[] filled = new byte[STATE_BYTES_PER_KEY];
        Arrays.fill(filled, (byte) value.intValue());
        bytes.update(filled);
        keysFilled++;
      }
      out.collect(value); // no pause: a slow operator behind a fast source would hold the barriers back
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      if (keysFilled == 2) {
        COMPLETED_WITH_STATE.incrementAndGet();
      }
    }
  }
}
