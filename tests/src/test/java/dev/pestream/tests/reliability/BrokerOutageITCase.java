package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.ContractBundle;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.testing.flink.FlinkClusterExtension;
import dev.pestream.testing.flink.FlinkProcessCluster;
import dev.pestream.testing.flink.FlinkRestClient;
import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.PacedSender;
import dev.pestream.tests.support.ShortChunkOutputs;
import dev.pestream.tests.support.ShortChunkStreams;
import dev.pestream.tests.support.ShortChunkStreams.Plan;
import dev.pestream.tests.support.cluster.ExactlyOnceRun;
import dev.pestream.tests.support.cluster.PerceptionJobSubmission;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's setup losing its only broker: the job jar on the multi-process Flink cluster
 * (parallelism 2) against one KRaft broker of its own (not the shared per-JVM one: this test
 * stops it). Streams arrive at a steady pace; once the job is consuming, the broker is stopped
 * for 60 s and started again on the same ports and data. The job is submitted without a restart
 * strategy, so the one {@code RunCommand} sets by default is what must heal it: it must be
 * RUNNING again without anyone resubmitting it, and read_committed consumers must see every
 * embedding, span, tag and caption exactly once.
 */
@ExtendWith(KafkaClientLeakCheck.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class BrokerOutageITCase {
  private static final int STREAMS = 8;
  private static final int VIDEO_STREAMS = 2;
  private static final int CHUNKS = 800;
  private static final int CHUNKS_PER_SECOND = 20;
  private static final int FIRST_TONE = 25;
  private static final int PARALLELISM = 2;
  private static final Duration OUTAGE = Duration.ofSeconds(60);
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration RUN = Duration.ofMinutes(3);
  private static final Duration AFTER_EMBEDDINGS = Duration.ofSeconds(60);

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(2)
      .slotsPerTaskManager(1));

  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = EmbeddedKafkaBroker.start();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void theJobHealsByItselfAfterItsOnlyBrokerIsGoneForAMinute(FlinkProcessCluster cluster, @TempDir Path scratch)
      throws Exception {
    long seed = Long.getLong("pestream.faults.seed", new Random().nextLong());
    KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
    ShortChunkStreams media = new ShortChunkStreams(Files.createDirectories(scratch.resolve("media")));
    List<Plan> plans = ShortChunkStreams.plans(seed, STREAMS, VIDEO_STREAMS, CHUNKS / STREAMS, FIRST_TONE);
    List<MediaChunk> feed = media.interleaved(plans, new Random(seed));
    System.out.printf("[outage] seed %d: %d streams (%d with video), %d chunks at %d/s, one broker%n",
        seed, STREAMS, VIDEO_STREAMS, feed.size(), CHUNKS_PER_SECOND);

    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> topics = kafka.newJobTopics("outage-", 2);
    ShortChunkStreams.publishControlRecords(kafka, topics);
    String chunkTopic = topics.get("topics.chunks");
    FlinkRestClient rest = cluster.rest();
    String jarId = rest.uploadJar(PerceptionJobSubmission.jobJar());
    try (FakePlmServer plm = FakePlmServer.start(ExactlyOnceRun.plmExpectations())) {
      Map<String, String> settings = ExactlyOnceRun.jobSettings("outage", plm.baseUrl(), topics);
      assertThat(settings).as("no restart strategy of the test's own").noneSatisfy((k, v) ->
          assertThat(k).contains("restart-strategy"));
      String group = settings.get("job.group-id");
      String jobId = new PerceptionJobSubmission(jarId, broker.bootstrapServers(), settings)
          .submit(rest, bundle, PARALLELISM, null, JOB_START);
      long start = System.nanoTime();
      try (PacedSender sender = new PacedSender(kafka, chunkTopic, KafkaTestClient.chunkRecords(feed),
          CHUNKS_PER_SECOND)) {
        kafka.awaitCommittedOffsets(group, chunkTopic, feed.size() / 5, RUN);
        long consumed = kafka.committedOffsets(group, chunkTopic);
        broker.stop();
        System.out.printf("[outage] %5.1f s broker stopped (%d chunks consumed, %d sent)%n",
            seconds(start), consumed, sender.sent());
        Thread.sleep(OUTAGE.toMillis());
        System.out.printf("[outage] %5.1f s job state after %d s without Kafka: %s%n",
            seconds(start), OUTAGE.toSeconds(), rest.jobState(jobId));
        broker.restart();
        System.out.printf("[outage] %5.1f s broker restarted on %s%n", seconds(start), broker.bootstrapServers());
        sender.awaitAllSent(RUN);
        System.out.printf("[outage] %5.1f s all %d chunks sent%n", seconds(start), feed.size());

        ShortChunkOutputs outputs = ShortChunkOutputs.read(kafka, topics, plans, true, RUN, AFTER_EMBEDDINGS);
        System.out.printf("[outage] %5.1f s outputs read back%n", seconds(start));
        rest.awaitAllTasksRunning(jobId, JOB_START);
        String state = rest.jobState(jobId);
        long restarts = rest.failovers(jobId);
        System.out.printf("[outage] job %s, restarts: %d, submissions: 1%n", state, restarts);
        ExactlyOnceRun.assertExactlyOnce("[outage]", outputs, plm);
        assertThat(state).isEqualTo(FlinkRestClient.RUNNING);
      } finally {
        rest.cancel(jobId, JOB_START);
      }
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
