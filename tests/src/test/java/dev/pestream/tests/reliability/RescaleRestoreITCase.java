package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.models.ContractBundle;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.testing.Poll;
import dev.pestream.testing.flink.FlinkClusterExtension;
import dev.pestream.testing.flink.FlinkProcessCluster;
import dev.pestream.testing.flink.FlinkRestClient;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.Chunks;
import dev.pestream.tests.support.OutputTally;
import dev.pestream.tests.support.PacedSender;
import dev.pestream.tests.support.ShortChunkOutputs;
import dev.pestream.tests.support.ShortChunkStreams;
import dev.pestream.tests.support.ShortChunkStreams.Plan;
import dev.pestream.tests.support.cluster.PerceptionJobSubmission;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling out is a restore: 12 streams (4 with video) arrive live; the perception job runs at
 * parallelism 2 on two TaskManagers, is stopped with a savepoint mid-stream, restored at
 * parallelism 4 on two more TaskManagers, stopped with a savepoint again and restored at
 * parallelism 1, which finishes the input. At each restore the 128 key groups of the keyed state
 * (sequencer, frame-feature cache, windows, spans, tags, in-flight captions) are dealt anew over
 * the subtasks, the broadcast rules and vocabulary go to every new subtask, the Kafka source's
 * partitions are reassigned, and the transactional sinks resume under the same prefix. read_committed consumers then see every
 * embedding, span, tag and caption exactly once, every alert at least once (repeats with their
 * alert's id), no dead letter, and every chunk entered the job once over the three runs.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class RescaleRestoreITCase {
  private static final int STREAMS = 12;
  private static final int VIDEO_STREAMS = 4;
  private static final int CHUNKS_PER_STREAM = 100;
  /** Tones start after 5 s of media, when the alert rule is long in the job's broadcast state. */
  private static final int FIRST_TONE = 25;
  /**
   * Chunks per second sent while a run is up: slow enough that the input still arrives at both
   * stops. The sender pauses while the next run restores (35–66 s at parallelism 4 on a loaded
   * machine: models loaded four times), so the input cannot all pass while no job runs.
   */
  private static final int RATE = 10;
  /** A run is stopped once it has committed this much input sent after it started running. */
  private static final int LIVE = RATE * 5;
  /** Parallelism of each run, one slot per TaskManager: the cluster grows to the largest. */
  private static final int[] PARALLELISM = {2, 4, 1};
  /** The job's key groups (job.max-parallelism, its default): the same across every restore. */
  private static final int MAX_PARALLELISM = PerceptionOptions.MAX_PARALLELISM.defaultValue();
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration OUTPUTS = Duration.ofSeconds(120);
  private static final Duration REST_OF_OUTPUTS = Duration.ofSeconds(30);

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(PARALLELISM[0])
      .slotsPerTaskManager(1));

  /** A run of the job that has started: its parallelism, where it runs, since when. */
  private record Started(int parallelism, String jobId, Set<String> taskManagers, long nanos, int sentWhenRunning) {
    Run ended(int sentAtEnd, long chunksIn, Committed committed) {
      return new Run(parallelism, taskManagers, (System.nanoTime() - nanos) / 1e9, sentWhenRunning, sentAtEnd,
          chunksIn, committed);
    }
  }

  /** One run of the job: its parallelism, where it ran, the chunks that entered it and what it had committed at its end. */
  private record Run(int parallelism, Set<String> taskManagers, double seconds, int sentWhenRunning, int sentAtEnd,
      long chunksIn, Committed committed) {}

  /** What the job had committed when a run ended: a tally per output, and the dead letters. */
  private record Committed(List<OutputTally> tallies, int deadLetters) {
    static Committed of(ShortChunkOutputs outputs, int deadLetters) {
      List<OutputTally> tallies = new ArrayList<>(outputs.exactlyOnceTallies());
      tallies.add(outputs.alertTally());
      return new Committed(tallies, deadLetters);
    }

    /** Records committed since {@code before} (null: since the start), with the copies among them. */
    String since(Committed before) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < tallies.size(); i++) {
        OutputTally now = tallies.get(i);
        OutputTally then = before == null ? null : before.tallies().get(i);
        sb.append(now.output()).append(' ').append(now.written() - (then == null ? 0 : then.written()))
            .append(" (").append(now.repeats() - (then == null ? 0 : then.repeats())).append(" repeats), ");
      }
      return sb.append("dead letters ").append(deadLetters - (before == null ? 0 : before.deadLetters())).toString();
    }
  }

  @Test
  void savepointAtTwoRestoreAtFourRestoreAtOneLosesAndRepeatsNothing(FlinkProcessCluster cluster,
      KafkaTestClient kafka, @TempDir Path scratch) throws Exception {
    long testStarted = System.nanoTime();
    long seed = Long.getLong("pestream.rescale.seed", new Random().nextLong());
    List<Plan> plans = ShortChunkStreams.plans(seed, STREAMS, VIDEO_STREAMS, CHUNKS_PER_STREAM, FIRST_TONE);
    List<MediaChunk> feed = new ShortChunkStreams(scratch).interleaved(plans, new Random(seed));
    // as many partitions as the widest run has source subtasks
    Map<String, String> topics = kafka.newJobTopics("rescale-", 4);
    ShortChunkStreams.publishControlRecords(kafka, topics);
    String chunksTopic = topics.get("topics.chunks");
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    String jarId = cluster.rest().uploadJar(PerceptionJobSubmission.jobJar());
    System.out.printf("[rescale] seed %d: %d streams (%d with video), %d chunks of %d ms sent at %d/s; parallelism"
        + " %d -> %d -> %d, max parallelism %d%n", seed, STREAMS, VIDEO_STREAMS, feed.size(),
        ShortChunkStreams.CHUNK_US / 1000, RATE, PARALLELISM[0], PARALLELISM[1], PARALLELISM[2], MAX_PARALLELISM);

    try (FakePlmServer plm = FakePlmServer.start(new FakePlmServer.Expectations(
        ShortChunkStreams.CAPTION_MODEL, null, ShortChunkStreams.CAPTION_IMAGE_SIZE, 32))) {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      Map<String, String> settings = new LinkedHashMap<>(ShortChunkStreams.jobSettings(plm.baseUrl()));
      settings.putAll(topics);
      // the same consumer group and transactional id prefix for every run
      settings.put("job.group-id", "rescale-" + suffix);
      settings.put("kafka.transactional-id-prefix", "rescale-" + suffix);
      settings.put("job.checkpoint-interval", "1 s");
      PerceptionJobSubmission job = new PerceptionJobSubmission(jarId, kafka.bootstrapServers(), settings);

      List<Run> runs = new ArrayList<>();
      Started current = start(cluster, job, bundle, PARALLELISM[0], null, () -> 0);
      try (PacedSender sender = new PacedSender(kafka, chunksTopic, Chunks.keyValues(feed), RATE)) {
        for (int i = 1; i < PARALLELISM.length; i++) {
          // a third of the input per run, and at least LIVE chunks that arrived while the run was up
          kafka.awaitCommittedOffsets(settings.get("job.group-id"), chunksTopic,
              Math.max((long) feed.size() * i / PARALLELISM.length, current.sentWhenRunning() + LIVE), OUTPUTS);
          String savepoint = cluster.rest().stopWithSavepoint(current.jobId(), cluster.savepointDir(), OUTPUTS);
          assertThat(cluster.rest().awaitJobState(current.jobId(),
              Set.of(FlinkRestClient.FINISHED, FlinkRestClient.FAILED), JOB_START)).isEqualTo(FlinkRestClient.FINISHED);
          int sentAtStop = sender.sent();
          assertThat(sentAtStop).as("stopped while the input still arrives").isLessThan(feed.size());
          sender.pause(); // until the next run is up: a slow restore must not let the whole input pass it by
          growTo(cluster, PARALLELISM[i]); // the new TaskManagers start while the test reads what the run committed
          runs.add(current.ended(sentAtStop, cluster.rest().vertexRecordsIn(current.jobId(),
              PerceptionJobSubmission.SEQUENCER), committedSoFar(kafka, topics, plans)));
          current = start(cluster, job, bundle, PARALLELISM[i], savepoint, sender::sent);
          sender.resume();
        }
        sender.awaitAllSent(OUTPUTS);
      }

      ShortChunkOutputs outputs = ShortChunkOutputs.read(kafka, topics, plans, true, OUTPUTS, REST_OF_OUTPUTS);
      long earlierChunks = runs.stream().mapToLong(Run::chunksIn).sum();
      String lastJob = current.jobId();
      long lastChunks = Poll.until("the last run's chunk count to reach the rest of the input", OUTPUTS,
          () -> cluster.rest().vertexRecordsIn(lastJob, PerceptionJobSubmission.SEQUENCER),
          n -> earlierChunks + n >= feed.size());
      runs.add(current.ended(feed.size(), lastChunks, committedSoFar(kafka, topics, plans)));
      cluster.rest().cancel(lastJob, JOB_START);

      Committed before = null;
      for (int i = 0; i < runs.size(); i++) {
        Run run = runs.get(i);
        System.out.printf("[rescale] run %d at parallelism %d on %s, %.1f s, running with %d of %d chunks sent, %s:"
            + " %d chunks into the job; committed %s%n", i + 1, run.parallelism(), run.taskManagers(), run.seconds(),
            run.sentWhenRunning(), feed.size(), run.sentAtEnd() < feed.size()
                ? "stopped with a savepoint at " + run.sentAtEnd() + " sent" : "to the end of the input",
            run.chunksIn(), run.committed().since(before));
        before = run.committed();
      }
      List<OutputTally> tallies = outputs.exactlyOnceTallies();
      OutputTally alertTally = outputs.alertTally();
      long chunksIn = runs.stream().mapToLong(Run::chunksIn).sum();
      tallies.forEach(t -> System.out.println("[rescale] over the three runs, " + t));
      System.out.println("[rescale] over the three runs, " + alertTally + " (at least once: " + alertTally.repeats()
          + " repeats, each with its alert's id)");
      System.out.printf("[rescale] chunks into the job %s = %d of %d; dead letters %d%n",
          runs.stream().map(r -> String.valueOf(r.chunksIn())).collect(Collectors.joining(" + ")), chunksIn,
          feed.size(), before.deadLetters());

      assertThat(tallies).allSatisfy(t -> assertThat(t.exactlyOnce()).as(t.toString()).isTrue());
      assertThat(alertTally.atLeastOnce()).as(alertTally.toString()).isTrue();
      assertThat(outputs.alerts().stream().collect(Collectors.groupingBy(Alert::getAlertId,
          Collectors.mapping(a -> a.getRuleId() + "/" + a.getStreamId() + "/" + a.getSpanStartUs(), Collectors.toSet()))))
          .as("every repeat of an alert is the same alert").allSatisfy((id, what) -> assertThat(what).hasSize(1));
      assertThat(chunksIn).as("chunks that entered the job, over the three runs").isEqualTo(feed.size());
      assertThat(before.deadLetters()).as("dead letters").isZero();
      assertThat(outputs.captions()).allSatisfy(c -> assertThat(c.getStatus()).isEqualTo(CaptionStatus.OK));
      assertThat(plm.violations()).isEmpty();
    } finally {
      System.out.printf("[rescale] whole test %.1f s%n", (System.nanoTime() - testStarted) / 1e9);
    }
  }

  /** Starts TaskManagers (one slot each) until there is one per subtask of a run at {@code parallelism}. */
  private static void growTo(FlinkProcessCluster cluster, int parallelism) {
    while (cluster.taskManagers().size() < parallelism) {
      cluster.startTaskManager();
    }
  }

  /**
   * Starts a run at {@code parallelism} from {@code savepoint} (none: a first run) once every
   * TaskManager started has registered; {@code sent} counts the input sent.
   */
  private static Started start(FlinkProcessCluster cluster, PerceptionJobSubmission job, Path bundle, int parallelism,
      String savepoint, IntSupplier sent) {
    growTo(cluster, parallelism);
    cluster.awaitTaskManagers(cluster.taskManagers().size());
    long nanos = System.nanoTime();
    String jobId = job.submit(cluster.rest(), bundle, parallelism, savepoint, JOB_START);
    assertRunsAt(cluster.rest(), jobId, parallelism, savepoint);
    Set<String> taskManagers = cluster.rest().taskManagersOf(jobId);
    assertThat(taskManagers).as("one TaskManager per subtask").hasSize(parallelism);
    return new Started(parallelism, jobId, taskManagers, nanos, sent.getAsInt());
  }

  /**
   * Every vertex of the job runs at {@code parallelism} over the fixed number of key groups, and
   * the job restored {@code savepoint} (none for the first run).
   */
  private static void assertRunsAt(FlinkRestClient rest, String jobId, int parallelism, String savepoint) {
    for (JsonNode vertex : rest.job(jobId).path("vertices")) {
      assertThat(vertex.path("parallelism").asInt()).as(vertex.path("name").asText()).isEqualTo(parallelism);
      assertThat(vertex.path("maxParallelism").asInt()).as(vertex.path("name").asText()).isEqualTo(MAX_PARALLELISM);
    }
    JsonNode restored = rest.checkpoints(jobId).path("latest").path("restored");
    if (savepoint == null) {
      assertThat(restored.isObject()).as("a first run restores nothing: " + restored).isFalse();
    } else {
      assertThat(restored.path("is_savepoint").asBoolean()).as(restored.toString()).isTrue();
      assertThat(restored.path("external_path").asText()).isEqualTo(savepoint);
    }
  }

  private static Committed committedSoFar(KafkaTestClient kafka, Map<String, String> topics, List<Plan> plans) {
    return Committed.of(ShortChunkOutputs.readCommittedSoFar(kafka, topics, plans, true),
        kafka.readCommittedSoFar(topics.get("topics.dead-letters"), REST_OF_OUTPUTS).size());
  }
}
