package dev.pestream.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.jobs.config.JobConfig;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.ReadableConfig;
import java.time.Duration;
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

  @Test
  void withoutARestartStrategyTheJobBacksOffToTenSecondsTwentyTimes() {
    ReadableConfig c = RunCommand.environment(JobConfig.of(Map.of())).getConfiguration();
    assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
    assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF))
        .isEqualTo(Duration.ofSeconds(10));
    assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS)).isEqualTo(20);
  }

  @Test
  void aRestartStrategyInTheSettingsIsKeptAsItIs() {
    ReadableConfig fixed = RunCommand.environment(JobConfig.of(Map.of(
        "flink.restart-strategy.type", "fixed-delay", "flink.restart-strategy.fixed-delay.attempts", "3")))
        .getConfiguration();
    assertThat(fixed.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("fixed-delay");
    assertThat(fixed.get(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS)).isEqualTo(3);
    // any restart-strategy key counts as the user's choice, even without the type
    ReadableConfig backoff = RunCommand.environment(JobConfig.of(Map.of(
        "flink.restart-strategy.exponential-delay.max-backoff", "1 min"))).getConfiguration();
    assertThat(backoff.getOptional(RestartStrategyOptions.RESTART_STRATEGY)).isEmpty();
    assertThat(backoff.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS))
        .isEqualTo(Integer.MAX_VALUE);
  }
}
