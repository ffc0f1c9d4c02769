package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.ContractBundle;
import dev.pestream.operators.faults.FaultPoints;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.ShortChunkOutputs;
import dev.pestream.tests.support.ShortChunkStreams;
import dev.pestream.tests.support.ShortChunkStreams.Plan;
import dev.pestream.testing.flink.FlinkClusterExtension;
import dev.pestream.testing.flink.FlinkProcessCluster;
import dev.pestream.tests.support.cluster.ExactlyOnceRun;
import dev.pestream.tests.support.cluster.PerceptionJobSubmission;
import dev.pestream.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once through repeated failures: 20 streams (4 with video), 10,000 chunks of 200 ms, the
 * perception job from its jar on a multi-process cluster (JobManager + two TaskManagers, one slot
 * each, parallelism 2), and five failures at random points of the run: the job's chaos hook
 * ({@code testing.fail-on}) throws on three chosen chunks (task failover), and two TaskManagers
 * are killed with SIGKILL and replaced. read_committed consumers then see every expected
 * embedding, span, tag and caption exactly once; alerts (at-least-once sink) at least once, every
 * repeat with its alert's id.
 *
 * <p>The random points come from a seed printed at the start; {@code -Dpestream.faults.seed=N}
 * repeats a run.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class ExactlyOnceThroughFailuresITCase {
  private static final int STREAMS = 20;
  private static final int VIDEO_STREAMS = 4;
  private static final int CHUNKS = 10_000;
  private static final int THROWS = 3;
  private static final int KILLS = 2;
  private static final int TASK_MANAGERS = 2;
  private static final int PARALLELISM = 2;
  /** Tones start after 5 s of media, when the alert rule is long in the job's broadcast state. */
  private static final int FIRST_TONE = 25;
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration RUN = Duration.ofMinutes(8);
  private static final Duration AFTER_EMBEDDINGS = Duration.ofSeconds(60);

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(TASK_MANAGERS)
      .slotsPerTaskManager(1));

  /** A failure at a point of the run: a fraction of the input processed (kills: committed). */
  private record Failure(double at, boolean kill, String chunk) {
    @Override
    public String toString() {
      return String.format("%s at %.0f%%", kill ? "SIGKILL of a TaskManager" : "throw on chunk " + chunk, at * 100);
    }
  }

  @Test
  void everyResultExactlyOnceThroughTaskFailuresAndKilledTaskManagers(FlinkProcessCluster cluster,
      KafkaTestClient kafka, @TempDir Path scratch) throws Exception {
    long seed = Long.getLong("pestream.faults.seed", new Random().nextLong());
    Random random = new Random(seed);
    ShortChunkStreams media = new ShortChunkStreams(Files.createDirectories(scratch.resolve("media")));
    List<Plan> plans = ShortChunkStreams.plans(seed, STREAMS, VIDEO_STREAMS, CHUNKS / STREAMS, FIRST_TONE);
    List<MediaChunk> feed = media.interleaved(plans, random);
    List<Failure> failures = failures(random, feed);
    System.out.printf("[faults] seed %d: %d streams (%d with video), %d chunks of %d ms; failures: %s%n", seed,
        STREAMS, VIDEO_STREAMS, feed.size(), ShortChunkStreams.CHUNK_US / 1000, failures);

    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Path markers = scratch.resolve("fault-markers");
    Map<String, String> topics = kafka.newJobTopics("eo-", 2);
    ShortChunkStreams.publishControlRecords(kafka, topics);

    String jarId = cluster.rest().uploadJar(PerceptionJobSubmission.jobJar());
    try (FakePlmServer plm = FakePlmServer.start(ExactlyOnceRun.plmExpectations())) {
      Map<String, String> settings = ExactlyOnceRun.jobSettings("faults", plm.baseUrl(), topics);
      settings.put("testing.fail-on", failures.stream().filter(f -> !f.kill()).map(Failure::chunk)
          .collect(Collectors.joining(";")));
      settings.put("testing.fault-markers", markers.toUri().toString());
      String jobId = new PerceptionJobSubmission(jarId, kafka.bootstrapServers(), settings)
          .submit(cluster.rest(), bundle, PARALLELISM, null, JOB_START);
      try {
        long started = System.nanoTime();
        kafka.sendChunks(topics.get("topics.chunks"), feed);
        int killsBesideAThrow = 0;
        for (Failure kill : failures.stream().filter(Failure::kill).toList()) {
          kafka.awaitCommittedOffsets(settings.get("job.group-id"), topics.get("topics.chunks"),
              Math.round(kill.at() * feed.size()), RUN);
          if (killAndReplaceATaskManager(cluster, jobId, random, markers)) {
            killsBesideAThrow++;
          }
          System.out.printf("[faults] %s: job running again %.1f s into the run%n", kill,
              (System.nanoTime() - started) / 1e9);
        }

        ShortChunkOutputs outputs = ShortChunkOutputs.read(kafka, topics, plans, true, RUN, AFTER_EMBEDDINGS);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("[faults] all %d chunks through the job in %.1f s (%.0f chunks/s, %.1f s of media/s),"
            + " %d restarts%n", feed.size(), seconds, feed.size() / seconds,
            feed.size() * ShortChunkStreams.CHUNK_US / 1e6 / seconds, cluster.rest().failovers(jobId));
        ExactlyOnceRun.assertExactlyOnce("[faults]", outputs, plm);
        try (var fired = Files.list(markers)) {
          assertThat(fired.map(p -> p.getFileName().toString()).collect(Collectors.toSet()))
              .as("every injected fault fired").isEqualTo(failures.stream().filter(f -> !f.kill())
                  .map(f -> markerName(f.chunk())).collect(Collectors.toSet()));
        }
        // a throw that fires while a kill's failover is under way may share its restart
        assertThat(cluster.rest().failovers(jobId)).as("restarts (%d kills beside a throw)", killsBesideAThrow)
            .isGreaterThanOrEqualTo(THROWS + KILLS - killsBesideAThrow);
      } finally {
        cluster.rest().cancel(jobId, JOB_START);
      }
    }
  }

  /**
   * Five failures spread over the run (about every sixth of it, jittered), three throws on the
   * chunk at their point of the feed and two kills, in random order.
   */
  private static List<Failure> failures(Random random, List<MediaChunk> feed) {
    List<Boolean> kinds = new ArrayList<>();
    for (int i = 0; i < THROWS + KILLS; i++) {
      kinds.add(i < KILLS);
    }
    Collections.shuffle(kinds, random);
    List<Failure> failures = new ArrayList<>();
    for (int i = 0; i < kinds.size(); i++) {
      double at = (i + 1.0) / (kinds.size() + 1) + (random.nextDouble() - 0.5) * 0.08;
      MediaChunk chunk = feed.get((int) (at * feed.size()));
      failures.add(new Failure(at, kinds.get(i), FaultPoints.chunkId(chunk.getStreamId(), chunk.getSeq())));
    }
    return failures;
  }

  /**
   * SIGKILL of one TaskManager running the job, a replacement started, the job running again. The
   * kill waits until the job has run for 2 s without a restart, so that it is a failure of its own,
   * not one folded into the recovery from an injected fault. True if an injected throw fired in the
   * meantime (the two failures may then be one restart).
   */
  private static boolean killAndReplaceATaskManager(FlinkProcessCluster cluster, String jobId, Random random,
      Path markers) throws InterruptedException, IOException {
    long steady;
    long firedBefore;
    do {
      cluster.rest().awaitAllTasksRunning(jobId, JOB_START);
      steady = cluster.rest().failovers(jobId);
      firedBefore = firedFaults(markers);
      Thread.sleep(2000);
    } while (cluster.rest().failovers(jobId) != steady);
    long restarts = steady;
    cluster.killAndReplaceTaskManagerOf(jobId, random, JOB_START);
    Poll.until("job restarted", JOB_START, () -> cluster.rest().failovers(jobId), n -> n > restarts);
    cluster.rest().awaitAllTasksRunning(jobId, JOB_START);
    return firedFaults(markers) > firedBefore;
  }

  private static long firedFaults(Path markers) throws IOException {
    if (!Files.isDirectory(markers)) {
      return 0;
    }
    try (var fired = Files.list(markers)) {
      return fired.count();
    }
  }

  private static String markerName(String chunkId) {
    int colon = chunkId.lastIndexOf(':');
    return FaultPoints.markerName(chunkId.substring(0, colon), Long.parseLong(chunkId.substring(colon + 1)));
  }
}
