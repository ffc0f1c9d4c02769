package dev.pestream.tests.cluster;

import static dev.pestream.tests.support.KafkaTestClient.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.jobs.CopyChunksJob;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.models.ContractBundle;
import dev.pestream.models.metrics.ModelMetricNames;
import dev.pestream.operators.decode.DecodeStage;
import dev.pestream.schemas.Embedding;
import dev.pestream.tests.support.ClipScript;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.Chunks;
import dev.pestream.tests.support.Chunks.Accounting;
import dev.pestream.tests.support.DeployFiles;
import dev.pestream.tests.support.KafkaBrokerExtension;
import dev.pestream.tests.support.KafkaClientLeakCheck;
import dev.pestream.tests.support.KafkaTestClient;
import dev.pestream.tests.support.PacedSender;
import dev.pestream.tests.support.cluster.FlinkClusterExtension;
import dev.pestream.tests.support.cluster.FlinkProcessCluster;
import dev.pestream.tests.support.cluster.FlinkProcessCluster.TaskManager;
import dev.pestream.tests.support.cluster.FlinkRestClient;
import dev.pestream.tests.support.cluster.FlinkRestClient.JarRun;
import dev.pestream.tests.support.cluster.Poll;
import dev.pestream.tests.support.cluster.PrometheusScrape;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The job jar on a real Flink cluster: one JobManager and two TaskManagers as separate OS
 * processes (one slot each, the job at parallelism 2, so it spans both), a real KRaft broker, the
 * jar submitted through the REST API, metrics from the Prometheus reporter of deploy/. Outputs are
 * read with isolation.level=read_committed and accounted chunk by chunk: none lost, none twice.
 *
 * <p>The failure tests run {@link CopyChunksJob} (parse → stamp version → exactly-once Kafka
 * sinks, dead letters), where every output can be traced to one input; {@link #JOB_CLASS} and
 * {@link #jobArgs} are all they need to run another job. The perception job runs from the same
 * jar in its own test.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FlinkClusterITCase {
  private static final int TASK_MANAGERS = 2;
  private static final int PARALLELISM = 2;
  private static final String JOB_CLASS = CopyChunksJob.class.getName();
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);
  private static final Duration JOB_START = Duration.ofSeconds(90);
  private static final Duration OUTPUTS = Duration.ofSeconds(120);

  @RegisterExtension
  static final FlinkClusterExtension FLINK = new FlinkClusterExtension(() -> FlinkProcessCluster.builder()
      .taskManagers(TASK_MANAGERS)
      .slotsPerTaskManager(1)
      .config(DeployFiles.flinkConfig("flink-metrics-prometheus.yaml")));

  private static String jarId;
  private final List<String> jobsToCancel = new ArrayList<>();
  private long testStarted;

  @BeforeAll
  static void uploadJobJar(FlinkProcessCluster cluster) {
    Path jar = Path.of(System.getProperty("pestream.cluster.job-jar", "missing: run through Maven"));
    assertThat(jar).as("job jar built by jobs/ (mvn -pl tests -am verify)").isRegularFile();
    jarId = cluster.rest().uploadJar(jar);
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

  @Test
  void jobJarSubmittedOverRestCopiesEveryChunkExactlyOnceWithLiveMetrics(FlinkProcessCluster cluster,
      KafkaTestClient kafka) {
    Topics topics = Topics.create(kafka);
    List<MediaChunk> first = Chunks.interleaved(4, 0, 50);
    List<byte[][]> firstRecords = Chunks.keyValues(first);
    firstRecords.add(37, new byte[][] {utf8("stream-1"), utf8("not an Avro record")});
    firstRecords.add(111, new byte[][] {utf8("stream-2"), new byte[0]});
    kafka.sendRaw(topics.in, firstRecords);

    String jobId = submit(cluster, topics, "copy-a-" + topics.suffix, null, null);
    List<MediaChunk> written = kafka.readCommittedRecords(topics.out, Chunks.CODEC, first.size(),
        Duration.ofSeconds(1), OUTPUTS);
    Accounting firstAccounting = Accounting.of(first, written);
    assertThat(firstAccounting.exactlyOnce()).as(firstAccounting.toString()).isTrue();
    Map<String, MediaChunk> originals = Chunks.byId(first);
    assertThat(written).allSatisfy(c -> assertThat(c).isEqualTo(originals.get(Chunks.id(c))));

    Predicate<Map<String, String>> parseStage = labels -> jobId.equals(labels.get("job_id"))
        && PrometheusScrape.labelValue(CopyChunksJob.PARSE_NAME).equals(labels.get("operator_name"));
    PrometheusScrape before = Poll.until("recordsParsed = " + first.size(), OUTPUTS,
        () -> PrometheusScrape.of(cluster.metricsEndpoints()),
        m -> m.sum(operatorMetric(ParseRecords.METRIC_RECORDS_PARSED), parseStage) == first.size());
    assertThat(before.samples(operatorMetric(ParseRecords.METRIC_RECORDS_PARSED), parseStage))
        .as("one recordsParsed series per parallel subtask").hasSize(PARALLELISM);

    List<MediaChunk> second = Chunks.interleaved(4, 50, 25);
    kafka.sendRaw(topics.in, Chunks.keyValues(second));
    List<MediaChunk> all = new ArrayList<>(first);
    all.addAll(second);
    Accounting accounting = Accounting.of(all, kafka.readCommittedRecords(topics.out, Chunks.CODEC, all.size(),
        Duration.ofSeconds(1), OUTPUTS));
    System.out.println("[cluster] submit over REST: " + accounting);
    assertThat(accounting.exactlyOnce()).as(accounting.toString()).isTrue();

    PrometheusScrape after = Poll.until("recordsParsed = " + all.size(), OUTPUTS,
        () -> PrometheusScrape.of(cluster.metricsEndpoints()),
        m -> m.sum(operatorMetric(ParseRecords.METRIC_RECORDS_PARSED), parseStage) == all.size());
    assertThat(after.sum(operatorMetric("numRecordsIn"), parseStage))
        .as("Flink's numRecordsIn of the parse stage: every input, the two bad ones too")
        .isEqualTo(all.size() + 2)
        .isGreaterThan(before.sum(operatorMetric("numRecordsIn"), parseStage));
    assertThat(after.sum(operatorMetric(ParseRecords.METRIC_DEAD_LETTERS), parseStage)).isEqualTo(2);
    Predicate<Map<String, String>> thisJob = labels -> jobId.equals(labels.get("job_id"));
    assertThat(after.sum("flink_jobmanager_job_numberOfCompletedCheckpoints", thisJob))
        .as("checkpoints keep completing")
        .isGreaterThan(before.sum("flink_jobmanager_job_numberOfCompletedCheckpoints", thisJob))
        .isPositive();
    assertThat(after.sum("flink_jobmanager_numRegisteredTaskManagers", labels -> true)).isEqualTo(TASK_MANAGERS);

    List<DeadLetter> letters = kafka.readCommittedRecords(topics.deadLetters, DEAD_LETTERS, 2,
        Duration.ofSeconds(1), OUTPUTS);
    assertThat(letters).extracting(DeadLetter::getErrorClass).containsExactlyInAnyOrder("NOT_SINGLE_OBJECT", "EMPTY");
    assertThat(letters).allSatisfy(l -> assertThat(l.getOriginTopic()).isEqualTo(topics.in));
  }

  @Test
  void killedTaskManagerIsReplacedAndTheJobRecoversFromItsCheckpointExactlyOnce(FlinkProcessCluster cluster,
      KafkaTestClient kafka) throws Exception {
    Topics topics = Topics.create(kafka);
    List<MediaChunk> chunks = Chunks.interleaved(4, 0, 500);
    List<byte[][]> records = Chunks.keyValues(chunks);
    int badRecords = 0;
    for (int i = 250; i < records.size(); i += 400) {
      records.add(i, new byte[][] {utf8("stream-0"), utf8("garbage " + i)});
      badRecords++;
    }

    String jobId = submit(cluster, topics, "copy-b-" + topics.suffix, null, null);
    try (PacedSender sender = new PacedSender(kafka, topics.in, records, 150)) {
      kafka.readCommitted(topics.out, 400, Duration.ZERO, OUTPUTS);
      Set<String> runningOn = cluster.rest().taskManagersOf(jobId);
      TaskManager victim = cluster.taskManagers().stream()
          .filter(tm -> runningOn.contains(tm.resourceId())).findFirst().orElseThrow();
      int sentAtKill = sender.sent();
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      TaskManager replacement = cluster.startTaskManager();
      Set<String> expected = cluster.taskManagers().stream().map(TaskManager::resourceId).collect(Collectors.toSet());
      Poll.until("the JobManager to drop " + victim.resourceId() + " and register " + replacement.resourceId(),
          JOB_START, () -> new HashSet<>(cluster.rest().taskManagerIds()), expected::equals);
      Poll.until("job restarted", JOB_START, () -> cluster.rest().jobMetric(jobId, "numRestarts"), n -> n >= 1);
      cluster.rest().awaitAllTasksRunning(jobId, JOB_START);
      double recoverySeconds = (System.nanoTime() - killedAt) / 1e9;

      sender.awaitAllSent(OUTPUTS);
      Accounting accounting = Accounting.of(chunks,
          kafka.readCommittedRecords(topics.out, Chunks.CODEC, chunks.size(), Duration.ofSeconds(2), OUTPUTS));
      System.out.printf("[cluster] SIGKILL %s after %d of %d records sent; running again after %.1f s; %s%n",
          victim.resourceId(), sentAtKill, records.size(), recoverySeconds, accounting);
      assertThat(accounting.exactlyOnce()).as(accounting.toString()).isTrue();

      JsonNode restored = cluster.rest().checkpoints(jobId).path("latest").path("restored");
      assertThat(restored.isObject()).as("the job restored a checkpoint: " + restored).isTrue();
      assertThat(restored.path("is_savepoint").asBoolean()).isFalse();
      assertThat(cluster.rest().taskManagersOf(jobId)).contains(replacement.resourceId())
          .doesNotContain(victim.resourceId());
      assertThat(kafka.readCommittedRecords(topics.deadLetters, DEAD_LETTERS, badRecords, Duration.ofSeconds(1),
          OUTPUTS)).hasSize(badRecords);
    }
  }

  @Test
  void savepointStopAndRestartWithANewVersionLosesAndRepeatsNothing(FlinkProcessCluster cluster,
      KafkaTestClient kafka) throws Exception {
    Topics topics = Topics.create(kafka);
    List<MediaChunk> chunks = Chunks.interleaved(4, 0, 375);
    String groupId = "copy-c-" + topics.suffix;

    String v1 = submit(cluster, topics, groupId, "v1", null);
    String savepoint;
    String v2;
    try (PacedSender sender = new PacedSender(kafka, topics.in, Chunks.keyValues(chunks), 100)) {
      kafka.readCommitted(topics.out, 300, Duration.ZERO, OUTPUTS);
      String fallback = cluster.rest().triggerSavepoint(v1, cluster.savepointDir(), OUTPUTS);
      assertThat(Path.of(URI.create(fallback))).as("savepoint taken while the job runs on").isDirectory();
      assertThat(cluster.rest().jobState(v1)).isEqualTo(FlinkRestClient.RUNNING);
      savepoint = cluster.rest().stopWithSavepoint(v1, cluster.savepointDir(), OUTPUTS);
      assertThat(cluster.rest().awaitJobState(v1, Set.of(FlinkRestClient.FINISHED, FlinkRestClient.FAILED), JOB_START))
          .isEqualTo(FlinkRestClient.FINISHED);
      int sentAtStop = sender.sent();
      v2 = submit(cluster, topics, groupId, "v2", savepoint);
      System.out.printf("[cluster] stopped v1 with savepoint after %d of %d records sent; v2 restored from %s%n",
          sentAtStop, chunks.size(), savepoint);
      sender.awaitAllSent(OUTPUTS);
    }
    assertThat(Path.of(URI.create(savepoint))).isDirectory();

    List<MediaChunk> written = kafka.readCommittedRecords(topics.out, Chunks.CODEC, chunks.size(),
        Duration.ofSeconds(2), OUTPUTS);
    Accounting accounting = Accounting.of(chunks, written);
    Map<String, Long> versions = written.stream().collect(Collectors.groupingBy(
        c -> c.getAttributes().getOrDefault(CopyChunksJob.VERSION_ATTRIBUTE, "none"), Collectors.counting()));
    System.out.println("[cluster] savepoint restart: " + accounting + ", versions " + versions);
    assertThat(accounting.exactlyOnce()).as(accounting.toString()).isTrue();
    assertThat(versions).containsOnlyKeys("v1", "v2");
    assertThat(versions.get("v1")).isGreaterThanOrEqualTo(300);

    // Per stream, in sequence order: v1 up to the savepoint, v2 from the switch on, never back.
    written.stream().collect(Collectors.groupingBy(MediaChunk::getStreamId)).forEach((stream, copies) -> {
      List<String> order = copies.stream().sorted(Comparator.comparingLong(MediaChunk::getSeq))
          .map(c -> c.getAttributes().get(CopyChunksJob.VERSION_ATTRIBUTE)).toList();
      int switchAt = order.indexOf("v2");
      assertThat(switchAt).as("stream %s switches to v2", stream).isPositive();
      assertThat(order.subList(0, switchAt)).as(stream).containsOnly("v1");
      assertThat(order.subList(switchAt, order.size())).as(stream).containsOnly("v2");
    });

    JsonNode restored = cluster.rest().checkpoints(v2).path("latest").path("restored");
    assertThat(restored.path("is_savepoint").asBoolean()).as(restored.toString()).isTrue();
    assertThat(restored.path("external_path").asText()).isEqualTo(savepoint);
  }

  /**
   * The perception job from the same jar: ONNX Runtime, JavaCPP/FFmpeg and the tokenizer load in
   * the TaskManagers from their class path (lib/), never from the job jar. Two 6 s streams in;
   * every window embedding out exactly once; the shared model sessions report their batches.
   */
  @Test
  void perceptionJobRunsFromTheJarWithNativeLibrariesFromLib(FlinkProcessCluster cluster, KafkaTestClient kafka,
      @TempDir Path scratch) throws Exception {
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> settings = new LinkedHashMap<>();
    for (String t : List.of("chunks", "embeddings", "spans", "alerts", "tags", "captions", "dead-letters")) {
      settings.put("topics." + t, kafka.newTopic(t, 2));
    }
    settings.put("topics.alert-rules", kafka.newCompactedTopic("rules"));
    settings.put("topics.tag-vocabularies", kafka.newCompactedTopic("vocabularies"));
    settings.put("job.group-id", "perception-" + suffix);
    settings.put("kafka.transactional-id-prefix", "perception-" + suffix);
    settings.put("job.checkpoint-interval", "500 ms");
    settings.put("job.parallelism", String.valueOf(PARALLELISM));
    settings.put("window.length", "2 s");
    settings.put("window.hop", "1 s");
    settings.put("window.idle-timeout", "0 s");
    settings.put("models.providers", "cpu");
    List<String> args = new ArrayList<>(List.of("--bootstrap", kafka.bootstrapServers(), "--models", bundle.toString()));
    settings.forEach((key, value) -> args.add("-D" + key + "=" + value));

    String jobId = cluster.rest().runJar(jarId, new JarRun(PerceptionJob.class.getName(), args, PARALLELISM, null));
    jobsToCancel.add(jobId);
    cluster.rest().awaitAllTasksRunning(jobId, JOB_START);

    List<ClipScript> streams = List.of(new ClipScript("cam-a", 6, 0).tone(2, 4), new ClipScript("cam-b", 6, 2));
    List<MediaChunk> chunks = new ArrayList<>();
    for (ClipScript stream : streams) {
      for (int seq = 0; seq < stream.chunkCount(); seq++) {
        chunks.add(stream.chunk(seq, scratch));
      }
    }
    kafka.sendRaw(settings.get("topics.chunks"), Chunks.keyValues(chunks));

    int windowsPerStream = (6 - 2) / 1 + 1;
    int expected = streams.size() * windowsPerStream * 3; // audio, video, audio_video
    List<Embedding> embeddings = kafka.readCommittedRecords(settings.get("topics.embeddings"),
        RecordCodec.of(Embedding.class), expected, Duration.ofSeconds(2), OUTPUTS);
    Map<String, Long> copies = embeddings.stream().collect(Collectors.groupingBy(
        e -> e.getStreamId() + "/" + e.getModality() + "/" + e.getWindowStartUs(), Collectors.counting()));
    System.out.println("[cluster] perception job: " + embeddings.size() + " embeddings, " + copies.size()
        + " distinct, expected " + expected);
    assertThat(copies).hasSize(expected).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));

    Predicate<Map<String, String>> thisJob = labels -> jobId.equals(labels.get("job_id"));
    PrometheusScrape metrics = PrometheusScrape.of(cluster.metricsEndpoints());
    assertThat(metrics.sum(operatorMetric(DecodeStage.METRIC_CHUNKS_DECODED), thisJob))
        .as("chunks decoded by FFmpeg in the TaskManagers").isEqualTo(chunks.size());
    double batches = metrics.samples().stream()
        .filter(m -> m.name().startsWith("flink_taskmanager_job_task_operator_")
            && m.name().contains("_" + ModelMetricNames.GROUP + "_")
            && m.name().endsWith("_" + ModelMetricNames.BATCHES) && thisJob.test(m.labels()))
        .mapToDouble(PrometheusScrape.Sample::value).sum();
    assertThat(batches).as("ONNX Runtime batches run in the TaskManagers").isPositive();
  }

  /** Runs the uploaded job jar and waits until all its tasks run; the job is cancelled after the test. */
  private String submit(FlinkProcessCluster cluster, Topics topics, String groupId, String version, String savepoint) {
    JarRun run = new JarRun(JOB_CLASS, jobArgs(cluster, topics, groupId, version), PARALLELISM, savepoint);
    String jobId = cluster.rest().runJar(jarId, run);
    jobsToCancel.add(jobId);
    cluster.rest().awaitAllTasksRunning(jobId, JOB_START);
    return jobId;
  }

  private static List<String> jobArgs(FlinkProcessCluster cluster, Topics topics, String groupId, String version) {
    List<String> args = new ArrayList<>(List.of(
        "--bootstrap-servers", topics.bootstrapServers,
        "--input-topic", topics.in,
        "--output-topic", topics.out,
        "--dead-letter-topic", topics.deadLetters,
        "--group-id", groupId,
        "--checkpoint-interval", "500ms"));
    if (version != null) {
      args.addAll(List.of("--stamp-version", version));
    }
    return args;
  }

  /** Name of an operator-scoped metric as Flink's Prometheus reporter exposes it. */
  private static String operatorMetric(String name) {
    return "flink_taskmanager_job_task_operator_" + name;
  }

  private record Topics(String bootstrapServers, String in, String out, String deadLetters, String suffix) {
    static Topics create(KafkaTestClient kafka) {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      return new Topics(kafka.bootstrapServers(), kafka.newTopic("chunks", 4), kafka.newTopic("copies", 4),
          kafka.newTopic("dead-letters", 1), suffix);
    }
  }
}
