package dev.pestream.tests.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pestream.tests.support.JobSettings;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.ingest.IngestCommand;
import dev.pestream.ingest.IngestExitCodes;
import dev.pestream.ingest.IngestProgress;
import dev.pestream.jobs.ControlRecordFiles;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordDecodingException;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.testing.registry.SchemaRegistryServer;
import dev.pestream.tests.support.ClipScript;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code records.wire-format: registry} end to end, on a real broker, a MiniCluster (parallelism
 * 2) and a registry speaking the Confluent API: {@code pestream ingest} writes one stream's chunks in
 * the registry format, a second stream arrives in the single-object encoding on the same topic (a
 * migration in progress), a registry-framed record with an unknown schema id is dead-lettered, and
 * the job's outputs are read by other people's readers: Flink SQL's own {@code avro-confluent}
 * format (spans per prompt per stream, embeddings per stream and modality) and confluent-kafka's
 * Python {@code AvroDeserializer} (alerts and spans).
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class RegistryWireFormatITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final int RED = 0;
  private static final int BLUE = 2;
  private static final ClipScript LOBBY = new ClipScript("lobby", 8, RED).tone(2.1, 4.9);
  private static final ClipScript PORCH = new ClipScript("porch", 8, BLUE).tone(3.3, 5.7);
  /** Windows of 2 s every 1 s over 8 s: 7 per stream, each in 3 modalities. */
  private static final int EMBEDDINGS_PER_STREAM = 7 * 3;
  /** Two streams, each with one tone scored for two prompts (the job's and the rule's): OPEN and CLOSED each. */
  private static final int SPAN_RECORDS = 2 * 2 * 2;

  @TempDir Path scratch;

  @Test
  void ingestJobFlinkSqlAndPythonInTheRegistryFormat(KafkaTestClient kafka) throws Exception {
    try (SchemaRegistryServer registry = SchemaRegistryServer.start()) {
      Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
      Map<String, String> topics = kafka.newJobTopics("", 2);
      Map<String, String> settings = JobSettings.onBroker(kafka, topics, "it");
      settings.put("spans.prompts", "beep");
      settings.put("records.wire-format", "registry");
      settings.put("records.registry.url", registry.url());
      JobConfig config = JobConfig.of(settings);
      RecordFormat format = RecordFormat.from(config.flink());

      // as pestream run --rules does: in the configured wire format
      ControlRecordFiles.publish(config, List.of(AlertRule.newBuilder()
          .setRuleId("any-beep").setPrompt("beep").setThreshold(0.5f).setStreamSelector("*")
          .setCooldownMs(0).setUpdatedAtMs(Instant.now()).build()), List.of());
      assertThat(kafka.readCommitted(topics.get("topics.alert-rules"), 1, Duration.ZERO, Duration.ofSeconds(10)))
          .singleElement().satisfies(r -> assertThat(r.value()[0]).isZero());

      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
      env.setParallelism(2);
      env.enableCheckpointing(500);
      new PerceptionJob(PerceptionSettings.from(config, bundle))
          .build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
      JobClient job = env.executeAsync("registry-wire-format-it");
      String chunks = topics.get("topics.chunks");
      Map<String, List<ConsumerRecord<byte[], byte[]>>> outputs = new HashMap<>();
      try {
        Thread.sleep(2000); // the rule reaches the scorer as broadcast state before the media
        Path lobbyClip = scratch.resolve("lobby.mkv");
        Files.write(lobbyClip, LOBBY.render(0, 8, scratch));
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
          closedPort = socket.getLocalPort();
        }
        assertThat(ingest(lobbyClip, "--stream-id", "lobby", "--topic", chunks, "--bootstrap", kafka.bootstrapServers(),
            "--wire-format", "registry", "--registry-url", "http://127.0.0.1:" + closedPort))
            .isEqualTo(IngestExitCodes.REGISTRY_UNAVAILABLE);
        assertThat(ingestMessages).startsWith("error: cannot write MediaChunk records to " + chunks)
            .contains("unreachable");
        assertThat(ingest(lobbyClip, "--stream-id", "lobby", "--topic", chunks,
            "--bootstrap", kafka.bootstrapServers(), "--wire-format", "registry", "--registry-url", registry.url()))
            .as(ingestMessages).isZero();
        assertThat(kafka.readCommitted(chunks, 1, Duration.ZERO, Duration.ofSeconds(10)))
            .allSatisfy(r -> assertThat(r.value()[0]).as("ingest wrote the registry format").isZero());
        List<MediaChunk> porch = new ArrayList<>();
        for (int seq = 0; seq < PORCH.chunkCount(); seq++) {
          porch.add(PORCH.chunk(seq, scratch));
        }
        kafka.sendChunks(chunks, porch);
        // registry framing, schema id 0x7fffff01: no registry has it
        kafka.send(chunks, "ghost", new byte[] {0, 0x7f, (byte) 0xff, (byte) 0xff, 1, 2, 4, 6});

        outputs.put("spans", kafka.readCommitted(topics.get("topics.spans"), SPAN_RECORDS, Duration.ofSeconds(2),
            Duration.ofMinutes(2)));
        outputs.put("embeddings", kafka.readCommitted(topics.get("topics.embeddings"), 2 * EMBEDDINGS_PER_STREAM,
            Duration.ofSeconds(2), Duration.ofMinutes(1)));
        outputs.put("alerts", kafka.readCommitted(topics.get("topics.alerts"), 2, Duration.ofSeconds(1),
            Duration.ofSeconds(30)));
        outputs.put("dead-letters", kafka.readCommitted(topics.get("topics.dead-letters"), 1, Duration.ofSeconds(1),
            Duration.ofSeconds(30)));
      } finally {
        job.cancel().get();
      }
      outputs.values().forEach(records -> assertThat(records).allSatisfy(r ->
          assertThat(r.value()[0]).as("registry magic byte on " + r.topic()).isZero()));

      List<EventSpan> spans = decode(outputs.get("spans"), format.codec(EventSpan.class));
      // one tone per stream: each prompt scored (the job's and the rule's) opens and closes one span
      Map<String, List<String>> statesPerStreamAndPrompt = spans.stream().collect(Collectors.groupingBy(
          s -> s.getStreamId() + "/" + s.getPromptId(), Collectors.mapping(s -> s.getState().name(), Collectors.toList())));
      assertThat(statesPerStreamAndPrompt.keySet()).extracting(k -> k.split("/")[0]).contains("lobby", "porch");
      assertThat(spans).hasSize(SPAN_RECORDS);
      assertThat(statesPerStreamAndPrompt.values()).allSatisfy(states -> assertThat(states).containsExactly("OPEN", "CLOSED"));
      List<Embedding> embeddings = decode(outputs.get("embeddings"), format.codec(Embedding.class));
      assertThat(embeddings).hasSize(2 * EMBEDDINGS_PER_STREAM);
      List<Alert> alerts = decode(outputs.get("alerts"), format.codec(Alert.class));
      assertThat(alerts).extracting(Alert::getStreamId).contains("lobby", "porch");
      List<DeadLetter> deadLetters = decode(outputs.get("dead-letters"), format.codec(DeadLetter.class));
      assertThat(deadLetters).singleElement().satisfies(letter -> {
        assertThat(letter.getErrorClass()).isEqualTo("UNKNOWN_SCHEMA_ID");
        assertThat(letter.getStreamId()).isEqualTo("ghost");
      });
      assertThat(registry.subjects()).contains(chunks + "-value", topics.get("topics.spans") + "-value");

      flinkSqlReadsSpansAndEmbeddings(kafka, registry, topics, spans, embeddings);
      pythonReadsAlertsAndSpans(kafka, registry, topics, spans, alerts);
    }
  }

  /** Flink's own avro-confluent format answers "spans per prompt per stream" and counts embeddings. */
  private static void flinkSqlReadsSpansAndEmbeddings(KafkaTestClient kafka, SchemaRegistryServer registry,
      Map<String, String> topics, List<EventSpan> spans, List<Embedding> embeddings) throws Exception {
    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inBatchMode());
    sql.getConfig().set("parallelism.default", "2");
    // Avro enums (state, modality) read as STRING only with the writer's schema given as the format's
    // schema: Flink's default reader schema, derived from the columns, has a string there, which Avro
    // schema resolution refuses for an enum. With it, every field is declared, in order (docs/sql.md).
    String kafkaOptions = "'connector' = 'kafka', 'properties.bootstrap.servers' = '" + kafka.bootstrapServers() + "',"
        + " 'properties.isolation.level' = 'read_committed', 'scan.startup.mode' = 'earliest-offset',"
        + " 'scan.bounded.mode' = 'latest-offset', 'format' = 'avro-confluent',"
        + " 'avro-confluent.url' = '" + registry.url() + "'";
    sql.executeSql("CREATE TABLE spans (spanId STRING NOT NULL, streamId STRING NOT NULL, promptId STRING NOT NULL,"
        + " promptText STRING NOT NULL, startUs BIGINT NOT NULL, endUs BIGINT, state STRING NOT NULL,"
        + " peakScore FLOAT NOT NULL, meanScore FLOAT NOT NULL, threshold FLOAT NOT NULL, modelId STRING NOT NULL,"
        + " modelVersion STRING NOT NULL) WITH ('topic' = '" + topics.get("topics.spans") + "', " + kafkaOptions
        + ", 'avro-confluent.schema' = '" + sqlString(EventSpan.getClassSchema().toString()) + "')");
    sql.executeSql("CREATE TABLE embeddings (streamId STRING NOT NULL, windowStartUs BIGINT NOT NULL,"
        + " windowEndUs BIGINT NOT NULL, modality STRING NOT NULL, modelId STRING NOT NULL,"
        + " modelVersion STRING NOT NULL, dim INT NOT NULL, vector ARRAY<FLOAT NOT NULL> NOT NULL,"
        + " truncated BOOLEAN NOT NULL, frameCount INT NOT NULL) WITH ('topic' = '" + topics.get("topics.embeddings")
        + "', " + kafkaOptions + ", 'avro-confluent.schema' = '" + sqlString(Embedding.getClassSchema().toString())
        + "')");

    Map<String, Long> spansPerPromptPerStream = rows(sql,
        "SELECT promptText, streamId, COUNT(*) FROM spans WHERE state = 'CLOSED' GROUP BY promptText, streamId",
        r -> r.getField(0) + "/" + r.getField(1), r -> (Long) r.getField(2));
    assertThat(spansPerPromptPerStream).isEqualTo(spans.stream().filter(s -> s.getState().name().equals("CLOSED"))
        .collect(Collectors.groupingBy(s -> s.getPromptText() + "/" + s.getStreamId(), Collectors.counting())));

    Map<String, Long> embeddingsPerStreamAndModality = rows(sql,
        "SELECT streamId, modality, COUNT(*) FROM embeddings WHERE CARDINALITY(vector) = dim GROUP BY streamId, modality",
        r -> r.getField(0) + "/" + r.getField(1), r -> (Long) r.getField(2));
    assertThat(embeddingsPerStreamAndModality).isEqualTo(embeddings.stream()
        .collect(Collectors.groupingBy(e -> e.getStreamId() + "/" + e.getModality(), Collectors.counting())));
  }

  /** confluent-kafka's AvroDeserializer with its SchemaRegistryClient (scripts/registry-reader). */
  private static void pythonReadsAlertsAndSpans(KafkaTestClient kafka, SchemaRegistryServer registry,
      Map<String, String> topics, List<EventSpan> spans, List<Alert> alerts) throws Exception {
    Path repo = repoRoot();
    String python = run(repo, List.of("bash", "scripts/python-env.sh", "--venv", repo.resolve(".venv-registry").toString(),
        "--requirements", "scripts/registry-reader/requirements.txt")).strip();
    String out = run(repo, List.of(python, "scripts/registry-reader/read_topics.py", "--bootstrap",
        kafka.bootstrapServers(), "--registry", registry.url(), topics.get("topics.alerts"), topics.get("topics.spans")));
    ObjectMapper json = new ObjectMapper();
    Set<String> alertIds = new java.util.HashSet<>();
    Set<String> spanStates = new java.util.HashSet<>();
    for (String line : out.strip().split("\n")) {
      JsonNode record = json.readTree(line);
      JsonNode value = record.get("value");
      if (record.get("topic").asText().equals(topics.get("topics.alerts"))) {
        alertIds.add(value.get("alertId").asText());
      } else {
        spanStates.add(value.get("spanId").asText() + " " + value.get("state").asText());
      }
    }
    assertThat(alertIds).isEqualTo(alerts.stream().map(Alert::getAlertId).collect(Collectors.toSet()));
    assertThat(spanStates).isEqualTo(spans.stream().map(s -> s.getSpanId() + " " + s.getState())
        .collect(Collectors.toSet()));
  }

  private static String sqlString(String text) {
    return text.replace("'", "''");
  }

  private static <K, V> Map<K, V> rows(TableEnvironment sql, String query, Function<Row, K> key,
      Function<Row, V> value) throws Exception {
    Map<K, V> result = new HashMap<>();
    try (CloseableIterator<Row> rows = sql.executeSql(query).collect()) {
      rows.forEachRemaining(r -> result.put(key.apply(r), value.apply(r)));
    }
    return result;
  }

  /** What the last {@link #ingest} printed. */
  private String ingestMessages;

  private int ingest(Path clip, String... options) {
    ByteArrayOutputStream messages = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(messages, true, StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>(List.of(clip.toString(), "--blob-dir", scratch.resolve("blobs").toString()));
    args.addAll(List.of(options));
    int exit = new CommandLine(new IngestCommand(new ByteArrayInputStream(new byte[0]), out,
        new IngestProgress(out, false), new AtomicBoolean())).execute(args.toArray(String[]::new));
    ingestMessages = messages.toString(StandardCharsets.UTF_8);
    return exit;
  }

  private static <T extends SpecificRecordBase> List<T> decode(List<ConsumerRecord<byte[], byte[]>> records,
      WireCodec<T> codec) throws RecordDecodingException {
    List<T> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      out.add(codec.decode(r.value()));
    }
    return out;
  }

  private static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (!Files.exists(dir.resolve("scripts/python-env.sh"))) {
      dir = dir.getParent();
    }
    return dir;
  }

  private static String run(Path dir, List<String> command) throws Exception {
    Path log = Files.createTempFile("registry-reader", ".log");
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile())
          .redirectError(log.toFile()).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish within 5 min");
      }
      assertThat(process.exitValue()).as(command + ": " + Files.readString(log)).isZero();
      return out;
    } finally {
      Files.delete(log);
    }
  }
}
