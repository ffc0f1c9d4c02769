package dev.pestream.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.jobs.config.JobConfig;
import dev.pestream.testing.Poll;
import dev.pestream.testing.net.ListeningSockets;
import dev.pestream.testing.net.ListeningSockets.Listener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;

/**
 * A local run (pestream run outside a cluster, and the demo) starts a MiniCluster in this JVM:
 * every server it opens must be on the loopback address, or anyone on the network could reach
 * Flink's REST API, blob server and RPC.
 */
class LocalRunListensOnLoopbackTest {
  @Test
  void aRunningLocalJobListensOnLoopbackOnly() throws Exception {
    List<Listener> before = ListeningSockets.ofThisProcess();
    StreamExecutionEnvironment env = RunCommand.environment(JobConfig.of(Map.of("job.parallelism", "2")));
    env.fromSequence(0, Long.MAX_VALUE).map(i -> {
      Thread.sleep(10);
      return i;
    }).sinkTo(new DiscardingSink<>());
    JobClient job = env.executeAsync("loopback check");
    try {
      Poll.until("job running", Duration.ofSeconds(60), () -> job.getJobStatus().join(), JobStatus.RUNNING::equals);
      List<Listener> opened = ListeningSockets.ofThisProcess().stream().filter(l -> !before.contains(l)).toList();
      assertThat(opened).as("the MiniCluster's servers (REST at least)").isNotEmpty();
      assertThat(opened).as("servers of a local run").allSatisfy(l -> assertThat(l.loopback()).as(l.toString()).isTrue());
    } finally {
      job.cancel().get();
    }
  }
}
