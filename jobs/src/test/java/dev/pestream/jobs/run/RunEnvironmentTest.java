package dev.pestream.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.jobs.config.JobConfig;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.junit.jupiter.api.Test;

class RunEnvironmentTest {
  @Test
  void maxParallelismIsExplicitNotDerivedFromTheFirstRun() {
    assertThat(RunCommand.environment(JobConfig.of(Map.of("job.parallelism", "2"))).getMaxParallelism()).isEqualTo(128);
    assertThat(RunCommand.environment(JobConfig.of(Map.of("job.max-parallelism", "512"))).getMaxParallelism())
        .isEqualTo(512);
  }

  @Test
  void aLocalRunBindsLoopbackUnlessTheSettingsNameAnAddress() {
    Configuration local = LocalFlink.loopbackOnly(new Configuration());
    assertThat(local.get(RestOptions.BIND_ADDRESS)).isEqualTo("127.0.0.1");
    assertThat(local.get(JobManagerOptions.BIND_HOST)).isEqualTo("127.0.0.1");
    Configuration everywhere = new Configuration();
    everywhere.set(RestOptions.BIND_ADDRESS, "0.0.0.0");
    assertThat(LocalFlink.loopbackOnly(everywhere).get(RestOptions.BIND_ADDRESS)).isEqualTo("0.0.0.0");
  }
}
