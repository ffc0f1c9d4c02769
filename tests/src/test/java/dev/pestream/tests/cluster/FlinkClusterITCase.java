package dev.pestream.tests.cluster;

import static dev.pestream.testing.kafka.KafkaTestClient.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.models.ContractBundle;
import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.metrics.ModelMetricNames;
import dev.pestream.operators.decode.DecodeStage;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.Chunks;
import dev.pestream.tests.support.ClipScript;
import dev.pestream.tests.support.DeployFiles;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.OutputTally;
import dev.pestream.tests.support.PacedSender;
import dev.pestream.tests.support.ShortChunkOutputs;
import dev.pestream.tests.support.ShortChunkStreams;
import dev.pestream.tests.support.ShortChunkStreams.Plan;
import dev.pestream.testing.flink.FlinkClusterExtension;
import dev.pestream.testing.flink.FlinkProcessCluster;
import dev.pestream.testing.flink.FlinkProcessCluster.Replacement;
import dev.pestream.testing.flink.FlinkProcessCluster.TaskManager;
import dev.pestream.testing.flink.FlinkRestClient;
import dev.pestream.tests.support.cluster.PerceptionJobSubmission;
import dev.pestream.testing.Poll;
import dev.pestream.testing.flink.PrometheusScrape;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The perception job's jar on a real Flink cluster: one JobManager and two TaskManagers as
 * separate OS processes (one slot each, the job at parallelism 2, so it spans both), a real KRaft
 * broker, the jar submitted through the REST API, ONNX Runtime and FFmpeg loaded from the
 * TaskManagers' lib/ class path, metrics from the Prometheus reporter of deploy/. Outputs are
 * read with isolation.level=read_committed and accounted record by record (embeddings per
 * stream, modality and window; spans; tags): none lost, none twice — through a TaskManager killed
 * with SIGKILL, and through a stop with savepoint and a restart on a newer model bundle.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FlinkClusterITCase {
  private static final int TASK_MANAGERS = 2;
  private static final int PARALLELISM = 2;
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration OUTPUTS = Duration.ofSeconds(120);
  private static final Duration REST_OF_OUTPUTS = Duration.ofSeconds(30);

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(TASK_MANAGERS)
      .slotsPerTaskManager(1)
      .config(DeployFiles.flinkConfig("flink-metrics-prometheus.yaml")));

  private static String jarId;
  private final List<String> jobsToCancel = new ArrayList<>();
  private long testStarted;
  @TempDir Path scratch;

  @BeforeAll
  static void uploadJobJar(FlinkProcessCluster cluster) {
    jarId = cluster.rest().uploadJar(PerceptionJobSubmission.jobJar());
  }

  /** Every test starts on a cluster of two registered TaskManagers with no job running. */
  @BeforeEach
  void fullCluster(FlinkProcessCluster cluster) {
    testStarted = System.nanoTime();
    while (cluster.taskManagers().size() < TASK_MANAGERS) {
      cluster.startTaskManager();
    }
    Set<String> live = cluster.taskManagers().stream().map(TaskManager::resourceId).collect(Collectors.toSet());
    Poll.until("TaskManagers " + live + " registered", JOB_START,
        () -> new HashSet<>(cluster.rest().taskManagerIds()), live::equals);
  }

  @AfterEach
  void cancelJobs(FlinkProcessCluster cluster, TestInfo test) {
    System.out.printf("[cluster] %s: %.1f s%n", test.getDisplayName(), (System.nanoTime() - testStarted) / 1e9);
    for (String jobId : jobsToCancel) {
      if (!FlinkRestClient.TERMINAL_STATES.contains(cluster.rest().jobState(jobId))) {
        cluster.rest().cancel(jobId, JOB_START);
      }
    }
  }

  /**
   * Two 6 s streams of 1 s chunks (video and audio) through the jar submitted over REST: every
   * window embedding exactly once, bad records dead-lettered, and the Prometheus endpoints show
   * the parse and decode stages, ONNX Runtime batches in the TaskManagers and checkpoints, moving
   * as more input arrives.
   */
  @Test
  void perceptionJobFromTheJarWritesEveryWindowOnceWithLiveMetrics(FlinkProcessCluster cluster, KafkaTestClient kafka)
      throws Exception {
    Map<String, String> topics = kafka.newJobTopics("", 2);
    Map<String, String> settings = clusterSettings(topics);
    settings.put("window.length", "2 s");
    settings.put("window.hop", "1 s");
    settings.put("window.idle-timeout", "0 s");
    settings.put("models.providers", "cpu");
    String jobId = submit(cluster, new PerceptionJobSubmission(jarId, kafka.bootstrapServers(), settings),
        ContractBundle.materialize(scratch.resolve("bundle")), null);

    List<ClipScript> streams = List.of(new ClipScript("cam-a", 6, 0).tone(2, 4), new ClipScript("cam-b", 6, 2));
    List<MediaChunk> first = new ArrayList<>();
    List<MediaChunk> second = new ArrayList<>();
    for (ClipScript stream : streams) {
      for (int seq = 0; seq < stream.chunkCount(); seq++) {
        (seq < 3 ? first : second).add(stream.chunk(seq, scratch));
      }
    }
    List<byte[][]> firstRecords = Chunks.keyValues(first);
    firstRecords.add(2, new byte[][] {utf8("cam-a"), utf8("not an Avro record")});
    firstRecords.add(4, new byte[][] {utf8("cam-b"), new byte[0]});
    String chunksTopic = topics.get("topics.chunks");
    kafka.sendRaw(chunksTopic, firstRecords);

    // windows of 2 s every 1 s over 3 s of each stream, then over 6 s; audio, video and audio_video each
    int firstWindows = streams.size() * 2 * 3;
    readEmbeddings(kafka, topics, firstWindows);
    Predicate<Map<String, String>> thisJob = labels -> jobId.equals(labels.get("job_id"));
    Predicate<Map<String, String>> parseStage = labels -> thisJob.test(labels)
        && PrometheusScrape.labelValue("parse chunks").equals(labels.get("operator_name"));
    PrometheusScrape before = Poll.until("recordsParsed = " + first.size(), OUTPUTS,
        () -> PrometheusScrape.of(cluster.metricsEndpoints()),
        m -> m.sum(operatorMetric(ParseRecords.METRIC_RECORDS_PARSED), parseStage) == first.size());
    assertThat(before.samples(operatorMetric(ParseRecords.METRIC_RECORDS_PARSED), parseStage))
        .as("one recordsParsed series per parallel subtask").hasSize(PARALLELISM);

    kafka.sendRaw(chunksTopic, Chunks.keyValues(second));
    int expected = streams.size() * ((6 - 2) / 1 + 1) * 3;
    List<Embedding> embeddings = readEmbeddings(kafka, topics, expected);
    Map<String, Long> copies = embeddings.stream().collect(Collectors.groupingBy(OutputTally::key, Collectors.counting()));
    System.out.println("[cluster] perception job over REST: " + embeddings.size() + " embeddings, " + copies.size()
        + " distinct, expected " + expected);
    assertThat(copies).hasSize(expected).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));

    int chunks = first.size() + second.size();
    PrometheusScrape after = Poll.until("recordsParsed = " + chunks, OUTPUTS,
        () -> PrometheusScrape.of(cluster.metricsEndpoints()),
        m -> m.sum(operatorMetric(ParseRecords.METRIC_RECORDS_PARSED), parseStage) == chunks);
    assertThat(after.sum(operatorMetric("numRecordsIn"), parseStage))
        .as("Flink's numRecordsIn of the parse stage: every input, the two bad ones too")
        .isEqualTo(chunks + 2)
        .isGreaterThan(before.sum(operatorMetric("numRecordsIn"), parseStage));
    assertThat(after.sum(operatorMetric(ParseRecords.METRIC_DEAD_LETTERS), parseStage)).isEqualTo(2);
    assertThat(after.sum(operatorMetric(DecodeStage.METRIC_CHUNKS_DECODED), thisJob))
        .as("chunks decoded by FFmpeg in the TaskManagers").isEqualTo(chunks);
    double batches = after.samples().stream()
        .filter(m -> m.name().startsWith(operatorMetric(ModelMetricNames.GROUP + "_")) // <operator>.models.<graph>
            && m.name().endsWith("_" + ModelMetricNames.BATCHES) && thisJob.test(m.labels()))
        .mapToDouble(PrometheusScrape.Sample::value).sum();
    assertThat(batches).as("ONNX Runtime batches run in the TaskManagers").isPositive();
    assertThat(after.sum("flink_jobmanager_job_numberOfCompletedCheckpoints", thisJob))
        .as("checkpoints keep completing")
        .isGreaterThan(before.sum("flink_jobmanager_job_numberOfCompletedCheckpoints", thisJob))
        .isPositive();
    assertThat(after.sum("flink_jobmanager_numRegisteredTaskManagers", labels -> true)).isEqualTo(TASK_MANAGERS);

    List<DeadLetter> letters = kafka.readCommittedRecords(topics.get("topics.dead-letters"), DEAD_LETTERS, 2,
        Duration.ofSeconds(1), OUTPUTS);
    assertThat(letters).extracting(DeadLetter::getErrorClass).containsExactlyInAnyOrder("NOT_SINGLE_OBJECT", "EMPTY");
    assertThat(letters).allSatisfy(l -> assertThat(l.getOriginTopic()).isEqualTo(chunksTopic));
  }

  /**
   * Six streams (two with video) of 200 ms chunks arrive live; once 40% of them are consumed, a
   * TaskManager running the job is killed with SIGKILL and a replacement started. The job restores
   * its last checkpoint and every embedding, span and tag comes out exactly once.
   */
  @Test
  void killedTaskManagerIsReplacedAndTheJobRecoversFromItsCheckpointExactlyOnce(FlinkProcessCluster cluster,
      KafkaTestClient kafka) throws Exception {
    LiveRun run = LiveRun.prepare(kafka, scratch, 7, 6, 2);
    String jobId = submit(cluster, run.job(), ContractBundle.materialize(scratch.resolve("bundle")), null);

    List<MediaChunk> feed = run.feed();
    try (PacedSender sender = new PacedSender(kafka, run.chunksTopic(), Chunks.keyValues(feed), 60)) {
      kafka.awaitCommittedOffsets(run.groupId(), run.chunksTopic(), feed.size() * 4L / 10, OUTPUTS);
      int sentAtKill = sender.sent();
      long killedAt = System.nanoTime();
      Replacement replaced = cluster.killAndReplaceTaskManagerOf(jobId, new Random(), JOB_START);
      Poll.until("job restarted", JOB_START, () -> cluster.rest().failovers(jobId), n -> n >= 1);
      cluster.rest().awaitAllTasksRunning(jobId, JOB_START);
      double recoverySeconds = (System.nanoTime() - killedAt) / 1e9;
      sender.awaitAllSent(OUTPUTS);

      ShortChunkOutputs outputs = ShortChunkOutputs.read(kafka, run.topics(), run.plans(), false, OUTPUTS,
          REST_OF_OUTPUTS);
      System.out.printf("[cluster] SIGKILL %s after %d of %d chunks sent; running again after %.1f s%n",
          replaced.victim().resourceId(), sentAtKill, feed.size(), recoverySeconds);
      List<OutputTally> tallies = outputs.exactlyOnceTallies();
      tallies.forEach(t -> System.out.println("[cluster] after SIGKILL, " + t));
      assertThat(tallies).allSatisfy(t -> assertThat(t.exactlyOnce()).as(t.toString()).isTrue());
      assertThat(outputs.alertTally().atLeastOnce()).as(outputs.alertTally().toString()).isTrue();

      JsonNode restored = cluster.rest().checkpoints(jobId).path("latest").path("restored");
      assertThat(restored.isObject()).as("the job restored a checkpoint: " + restored).isTrue();
      assertThat(restored.path("is_savepoint").asBoolean()).isFalse();
      assertThat(cluster.rest().taskManagersOf(jobId)).contains(replaced.replacement().resourceId())
          .doesNotContain(replaced.victim().resourceId());
    }
  }

  /**
   * Stop with a savepoint while four streams arrive live, then a restart from the savepoint on a
   * newer version of the model bundle, with the same consumer group and transactional id prefix.
   * Every chunk enters the job once over both runs, every output comes out exactly once, and per
   * stream the embeddings carry the old version up to the switch and the new one from there on.
   */
  @Test
  void savepointStopAndRestartWithANewerBundleVersionLosesAndRepeatsNothing(FlinkProcessCluster cluster,
      KafkaTestClient kafka) throws Exception {
    Path v1 = ContractBundle.materialize(scratch.resolve("bundle-v1"));
    Path v2 = withVersion(ContractBundle.materialize(scratch.resolve("bundle-v2")), "2.0.0-test");
    String oldVersion = ModelBundle.readManifest(v1).version();
    assertThat(oldVersion).isNotEqualTo("2.0.0-test");
    LiveRun run = LiveRun.prepare(kafka, scratch, 11, 4, 1);
    List<MediaChunk> feed = run.feed();

    String first = submit(cluster, run.job(), v1, null);
    String savepoint;
    String second;
    try (PacedSender sender = new PacedSender(kafka, run.chunksTopic(), Chunks.keyValues(feed), 30)) {
      kafka.awaitCommittedOffsets(run.groupId(), run.chunksTopic(), feed.size() / 4, OUTPUTS);
      String fallback = cluster.rest().triggerSavepoint(first, cluster.savepointDir(), OUTPUTS);
      assertThat(Path.of(URI.create(fallback))).as("savepoint taken while the job runs on").isDirectory();
      assertThat(cluster.rest().jobState(first)).isEqualTo(FlinkRestClient.RUNNING);
      savepoint = cluster.rest().stopWithSavepoint(first, cluster.savepointDir(), OUTPUTS);
      assertThat(cluster.rest().awaitJobState(first, Set.of(FlinkRestClient.FINISHED, FlinkRestClient.FAILED),
          JOB_START)).isEqualTo(FlinkRestClient.FINISHED);
      int sentAtStop = sender.sent();
      second = submit(cluster, run.job(), v2, savepoint);
      System.out.printf("[cluster] stopped the %s job with a savepoint after %d of %d chunks sent; the 2.0.0-test"
          + " job restored %s%n", oldVersion, sentAtStop, feed.size(), savepoint);
      sender.awaitAllSent(OUTPUTS);
    }

    ShortChunkOutputs outputs = ShortChunkOutputs.read(kafka, run.topics(), run.plans(), false, OUTPUTS,
        REST_OF_OUTPUTS);
    long firstIn = cluster.rest().vertexRecordsIn(first, PerceptionJobSubmission.SEQUENCER);
    long secondIn = Poll.until("the restarted job's chunk count to reach the rest", OUTPUTS,
        () -> cluster.rest().vertexRecordsIn(second, PerceptionJobSubmission.SEQUENCER), n -> firstIn + n >= feed.size());
    Map<String, Long> versions = outputs.embeddings().stream()
        .collect(Collectors.groupingBy(Embedding::getModelVersion, Collectors.counting()));
    System.out.printf("[cluster] savepoint restart: chunks into the job %d + %d of %d, embedding versions %s%n",
        firstIn, secondIn, feed.size(), versions);
    List<OutputTally> tallies = outputs.exactlyOnceTallies();
    tallies.forEach(t -> System.out.println("[cluster] across the savepoint restart, " + t));
    assertThat(tallies).allSatisfy(t -> assertThat(t.exactlyOnce()).as(t.toString()).isTrue());
    assertThat(firstIn + secondIn).as("chunks that entered the job, over both runs").isEqualTo(feed.size());
    assertThat(versions).containsOnlyKeys(oldVersion, "2.0.0-test");
    assertThat(outputs.spans()).extracting(EventSpan::getModelVersion).containsOnly(oldVersion, "2.0.0-test");

    // Per stream, by window: the old version up to the savepoint, the new one from the switch on, never back.
    outputs.embeddings().stream().collect(Collectors.groupingBy(Embedding::getStreamId)).forEach((stream, ofStream) -> {
      List<String> order = ofStream.stream().sorted(Comparator.comparingLong(Embedding::getWindowStartUs))
          .map(Embedding::getModelVersion).toList();
      int switchAt = order.indexOf("2.0.0-test");
      assertThat(switchAt).as("stream %s switches to the new version", stream).isPositive();
      assertThat(order.subList(0, switchAt)).as(stream).containsOnly(oldVersion);
      assertThat(order.subList(switchAt, order.size())).as(stream).containsOnly("2.0.0-test");
    });

    JsonNode restored = cluster.rest().checkpoints(second).path("latest").path("restored");
    assertThat(restored.path("is_savepoint").asBoolean()).as(restored.toString()).isTrue();
    assertThat(restored.path("external_path").asText()).isEqualTo(savepoint);
  }

  /**
   * Sets the bundle's manifest version. The manifest's sha256 list covers the graphs and the
   * tokenizer, not the manifest itself, so the bundle stays valid (checked by loading it).
   */
  private static Path withVersion(Path bundle, String version) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Path manifest = bundle.resolve(ModelBundle.MANIFEST_FILE);
    ObjectNode tree = (ObjectNode) json.readTree(manifest.toFile());
    tree.put("version", version);
    Files.writeString(manifest, json.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
    assertThat(ModelBundle.load(bundle).manifest().version()).isEqualTo(version);
    return bundle;
  }

  /**
   * A live-input run of the perception job on {@link ShortChunkStreams} (100 chunks per stream,
   * streams interleaved): new topics with the alert rule and vocabulary in place, and the job's
   * submission with its consumer group and transactional id prefix, the same for every (re)start.
   */
  private record LiveRun(List<Plan> plans, List<MediaChunk> feed, Map<String, String> topics,
      PerceptionJobSubmission job, String groupId) {
    static LiveRun prepare(KafkaTestClient kafka, Path scratch, long seed, int streams, int videoStreams) {
      List<Plan> plans = ShortChunkStreams.plans(seed, streams, videoStreams, 100, 25);
      List<MediaChunk> feed = new ShortChunkStreams(scratch).interleaved(plans, new Random(seed));
      Map<String, String> topics = kafka.newJobTopics("", 2);
      ShortChunkStreams.publishControlRecords(kafka, topics);
      Map<String, String> settings = clusterSettings(topics);
      settings.putAll(ShortChunkStreams.jobSettings(null));
      return new LiveRun(plans, feed, topics, new PerceptionJobSubmission(jarId, kafka.bootstrapServers(), settings),
          settings.get("job.group-id"));
    }

    String chunksTopic() {
      return topics.get("topics.chunks");
    }
  }

  /** Topics, a fresh consumer group and transactional id prefix, checkpoints every 500 ms, parallelism 2. */
  private static Map<String, String> clusterSettings(Map<String, String> topics) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> settings = new LinkedHashMap<>(topics);
    settings.put("job.group-id", "perception-" + suffix);
    settings.put("kafka.transactional-id-prefix", "perception-" + suffix);
    settings.put("job.checkpoint-interval", "500 ms");
    settings.put("job.parallelism", String.valueOf(PARALLELISM));
    return settings;
  }

  /** Runs the perception job from the uploaded jar; it is cancelled after the test. */
  private String submit(FlinkProcessCluster cluster, PerceptionJobSubmission job, Path bundle, String savepoint) {
    String jobId = job.submit(cluster.rest(), bundle, PARALLELISM, savepoint, JOB_START);
    jobsToCancel.add(jobId);
    return jobId;
  }

  private static List<Embedding> readEmbeddings(KafkaTestClient kafka, Map<String, String> topics, int expected) {
    return kafka.readCommittedRecords(topics.get("topics.embeddings"), RecordCodec.of(Embedding.class), expected,
        Duration.ofSeconds(2), OUTPUTS);
  }

  /** Name of an operator-scoped metric as Flink's Prometheus reporter exposes it. */
  private static String operatorMetric(String name) {
    return "flink_taskmanager_job_task_operator_" + name;
  }
}
