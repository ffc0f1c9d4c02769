package dev.pestream.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chaos-testing operator is in the job graph only when both testing options are set. */
class FaultInjectionWiringTest {
  @TempDir Path dir;

  @Test
  void theJobHasNoFaultInjectionUnlessAskedFor() {
    assertThat(operatorUids(Map.of())).doesNotContain(PerceptionJob.Uids.INJECT_FAULTS)
        .contains(PerceptionJob.Uids.DECODE, PerceptionJob.Uids.ENCODE_FRAMES);
    assertThat(operatorUids(Map.of("testing.fail-on", "cam-1:7;cam-2:9",
        "testing.fault-markers", dir.resolve("markers").toUri().toString())))
        .contains(PerceptionJob.Uids.INJECT_FAULTS, PerceptionJob.Uids.DECODE);
    assertThatThrownBy(() -> operatorUids(Map.of("testing.fail-on", "cam-1:7")))
        .hasMessageContaining("testing.fault-markers");
  }

  private List<String> operatorUids(Map<String, String> testing) {
    Map<String, String> settings = new HashMap<>(testing);
    settings.put("kafka.bootstrap-servers", "localhost:9");
    JobConfig config = JobConfig.of(settings);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    new PerceptionJob(PerceptionSettings.from(config, ContractBundle.materialize(dir.resolve("bundle"))))
        .build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    return env.getStreamGraph().getStreamNodes().stream().map(StreamNode::getTransformationUID).toList();
  }
}
