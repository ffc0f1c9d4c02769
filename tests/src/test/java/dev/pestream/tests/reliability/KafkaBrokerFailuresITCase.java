package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.ContractBundle;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.testing.Poll;
import dev.pestream.testing.flink.FlinkClusterExtension;
import dev.pestream.testing.flink.FlinkProcessCluster;
import dev.pestream.testing.kafka.EmbeddedKafkaCluster;
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
import java.util.ArrayList;
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
 * Exactly-once through broker failures: the perception job from its jar on the multi-process
 * Flink cluster (JobManager + two TaskManagers, parallelism 2) against a three-node KRaft cluster
 * ({@link EmbeddedKafkaCluster}), every topic at replication 3 / min ISR 2. 20 streams (4 with
 * video) arrive at a steady pace while the brokers fail under them: SIGKILL of the node leading
 * the chunk topic (restarted later), SIGKILL of the node leading an output topic (restarted
 * later), then a rolling restart of all three nodes. read_committed consumers then see every
 * embedding, span, tag and caption exactly once, alerts at least once with stable ids, no dead
 * letters.
 *
 * <p>The job rides out leader changes with Kafka's client retries, and a failure the retries do
 * not cover (a transaction that cannot commit in time) with the exponential-delay restart strategy
 * its settings ask for. The seed of the streams is printed; {@code -Dpestream.faults.seed=N}
 * repeats a run.
 */
@ExtendWith(KafkaClientLeakCheck.class)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class KafkaBrokerFailuresITCase {
  private static final int STREAMS = 20;
  private static final int VIDEO_STREAMS = 4;
  private static final int CHUNKS = 3_000;
  /** A quarter of real time (20 streams × 5 chunks/s): the feed lasts about as long as the faults. */
  private static final int CHUNKS_PER_SECOND = 25;
  private static final int FIRST_TONE = 25;
  /** Chunks the job must get through with a node down before the node comes back (6 s of feed). */
  private static final int DURING_OUTAGE = 150;
  private static final int PARALLELISM = 2;
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration RUN = Duration.ofMinutes(4);
  private static final Duration AFTER_EMBEDDINGS = Duration.ofSeconds(60);

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(2)
      .slotsPerTaskManager(1));

  private static EmbeddedKafkaCluster brokers;

  @BeforeAll
  static void startBrokers() {
    brokers = EmbeddedKafkaCluster.start();
  }

  @AfterAll
  static void stopBrokers() {
    if (brokers != null) {
      brokers.close();
    }
  }

  @Test
  void everyResultExactlyOnceThroughKilledLeadersAndARollingRestart(FlinkProcessCluster cluster,
      @TempDir Path scratch) throws Exception {
    long seed = Long.getLong("pestream.faults.seed", new Random().nextLong());
    Random random = new Random(seed);
    KafkaTestClient kafka = new KafkaTestClient(brokers.bootstrapServers());
    ShortChunkStreams media = new ShortChunkStreams(Files.createDirectories(scratch.resolve("media")));
    List<Plan> plans = ShortChunkStreams.plans(seed, STREAMS, VIDEO_STREAMS, CHUNKS / STREAMS, FIRST_TONE);
    List<MediaChunk> feed = media.interleaved(plans, random);
    System.out.printf("[brokers] seed %d: %d streams (%d with video), %d chunks at %d/s, 3 Kafka nodes%n",
        seed, STREAMS, VIDEO_STREAMS, feed.size(), CHUNKS_PER_SECOND);

    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> topics = kafka.newJobTopics("bf-", 2);
    ShortChunkStreams.publishControlRecords(kafka, topics);
    assertThat(topics.values()).as("every topic on all three nodes, in sync").allSatisfy(topic ->
        assertThat(brokers.inSyncReplicas(topic, 0)).containsExactlyInAnyOrder(1, 2, 3));
    String chunkTopic = topics.get("topics.chunks");
    String outputTopic = topics.get("topics.embeddings");

    String jarId = cluster.rest().uploadJar(PerceptionJobSubmission.jobJar());
    try (FakePlmServer plm = FakePlmServer.start(ExactlyOnceRun.plmExpectations())) {
      Map<String, String> settings = ExactlyOnceRun.jobSettings("brokers", plm.baseUrl(), topics);
      // heal by itself when a broker fault outlasts the client retries: restart, backing off to 10 s
      settings.put("flink.restart-strategy.type", "exponential-delay");
      settings.put("flink.restart-strategy.exponential-delay.initial-backoff", "1 s");
      settings.put("flink.restart-strategy.exponential-delay.max-backoff", "10 s");
      String group = settings.get("job.group-id");
      String jobId = new PerceptionJobSubmission(jarId, brokers.bootstrapServers(), settings)
          .submit(cluster.rest(), bundle, PARALLELISM, null, JOB_START);
      Timeline timeline = new Timeline();
      try (PacedSender sender = new PacedSender(kafka, chunkTopic, KafkaTestClient.chunkRecords(feed),
          CHUNKS_PER_SECOND)) {
        // a slow node restart must not use up the feed before the next kill: keep a reserve for each
        sender.holdFrom(feed.size() - 2 * DURING_OUTAGE);
        kafka.awaitCommittedOffsets(group, chunkTopic, feed.size() / 10, RUN);
        killLeaderThenRestart(kafka, sender, group, chunkTopic, chunkTopic, timeline);
        killLeaderThenRestart(kafka, sender, group, chunkTopic, outputTopic, timeline);
        sender.allowUpTo(feed.size());
        timeline.add("rolling restart begins");
        brokers.rollingRestart(id -> timeline.add("rolling restart: node " + id + " stopped, restarted, in sync"));
        sender.awaitAllSent(RUN);
        timeline.add("all " + feed.size() + " chunks sent");

        ShortChunkOutputs outputs = ShortChunkOutputs.read(kafka, topics, plans, true, RUN, AFTER_EMBEDDINGS);
        timeline.add("outputs read back");
        int deadLetters = kafka.readCommitted(topics.get("topics.dead-letters"), 0, Duration.ofSeconds(1),
            Duration.ofSeconds(5)).size();
        long restarts = cluster.rest().failovers(jobId);
        timeline.print();
        System.out.printf("[brokers] job restarts: %d; dead letters: %d%n", restarts, deadLetters);
        ExactlyOnceRun.assertExactlyOnce("[brokers]", outputs, plm);
        assertThat(deadLetters).as("dead letters").isZero();
      } finally {
        cluster.rest().cancel(jobId, JOB_START);
      }
    }
  }

  /**
   * SIGKILL of the node leading partition 0 of {@code topic}; once the job has consumed {@link
   * #DURING_OUTAGE} more chunks without it (committed with a checkpoint: the job works on with a
   * node down; the sender lets that many more go if it holds them), the node is started again and
   * waits until it is back in every ISR.
   */
  private static void killLeaderThenRestart(KafkaTestClient kafka, PacedSender sender, String group,
      String chunks, String topic, Timeline timeline) {
    long before = kafka.committedOffsets(group, chunks);
    sender.allowUpTo(Math.toIntExact(before) + DURING_OUTAGE);
    int leader = brokers.leaderOf(topic, 0);
    brokers.kill(leader);
    timeline.add("SIGKILL of node " + leader + ", leader of " + topic + "-0 (" + before + " chunks consumed)");
    long after = Poll.until(DURING_OUTAGE + " more chunks consumed with node " + leader + " down", RUN,
        () -> kafka.committedOffsets(group, chunks), n -> n >= before + DURING_OUTAGE);
    timeline.add("job consumed " + (after - before) + " chunks with node " + leader + " down");
    brokers.restart(leader);
    timeline.add("node " + leader + " restarted, back in every ISR");
  }

  /** The faults and milestones of the run, with seconds since it began. */
  private static final class Timeline {
    private final long start = System.nanoTime();
    private final List<String> events = new ArrayList<>();

    synchronized void add(String event) {
      String line = String.format("%6.1f s  %s", (System.nanoTime() - start) / 1e9, event);
      events.add(line);
      System.out.println("[brokers] " + line);
    }

    synchronized void print() {
      System.out.println("[brokers] timeline of faults:");
      events.forEach(e -> System.out.println("[brokers]   " + e));
    }
  }
}
