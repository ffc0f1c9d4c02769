package dev.pestream.tests.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.RecordFormatOptions;
import dev.pestream.connectors.registry.RegistrySettings;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.console.Console;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.console.ControlTopicClient;
import dev.pestream.jobs.cli.PestreamCli;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.run.ExitCode;
import dev.pestream.models.ContractBundle;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;

import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.Poll;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.testing.registry.SchemaRegistryServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console with {@code records.wire-format: registry} on a real broker and the in-memory schema
 * registry (no job: the records are written as the job writes them): registry-framed embeddings and
 * spans are indexed and shown beside single-object ones, records with a schema id the registry does
 * not know are skipped and counted, a rule put through the API is written registry-framed and read
 * back, {@code pestream rules put} writes registry-framed from {@code -D records.*}, and a registry
 * that is gone skips only the registry-framed rules on reading and is exit code 8 on writing.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class ConsoleRegistryITCase {
  private static final String MODEL = "pestream/contract-pe-av";
  private static final int DIM = 1024;
  /** Magic byte 0 and schema id 9999, which the registry never handed out. */
  private static final byte[] UNKNOWN_SCHEMA_ID = {0, 0, 0, 0x27, 0x0F, 2, 4, 6};

  @TempDir Path scratch;

  @Test
  void readsBothFramingsAndWritesRulesInTheRegistryFormat(KafkaTestClient kafka) throws Exception {
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> topics = kafka.newJobTopics("", 2);
    try (SchemaRegistryServer registry = SchemaRegistryServer.start()) {
      Map<String, String> s = new HashMap<>(topics);
      s.put("kafka.bootstrap-servers", kafka.bootstrapServers());
      s.put(RecordFormatOptions.WIRE_FORMAT.key(), "registry");
      s.put(RecordFormatOptions.REGISTRY_URL.key(), registry.url());
      RecordFormat format = RecordFormat.from(JobConfig.of(s).flink());
      String embeddings = topics.get("topics.embeddings");
      String spans = topics.get("topics.spans");
      String rules = topics.get("topics.alert-rules");

      WireCodec<Embedding> embeddingCodec = format.codec(Embedding.class);
      kafka.send(embeddings, "cam-reg", embeddingCodec.encode(embeddings, embedding("cam-reg", 0)));
      kafka.send(embeddings, "cam-reg", UNKNOWN_SCHEMA_ID);
      kafka.send(embeddings, "cam-reg", RecordCodec.of(Embedding.class).encode(embedding("cam-reg", 1)));
      kafka.send(spans, "cam-reg", format.codec(EventSpan.class).encode(spans, span("cam-reg")));
      kafka.send(spans, "cam-reg", UNKNOWN_SCHEMA_ID);

      ConsoleSettings settings = ConsoleSettings.builder().bootstrapServers(kafka.bootstrapServers())
          .topics(JobTopicsForConsole.of(topics)).bundleDir(bundle).indexDir(scratch.resolve("index")).port(0)
          .commitInterval(Duration.ofMillis(200)).recordFormat(format).build();
      try (Console console = Console.start(settings)) {
        ConsoleHttp http = new ConsoleHttp(console.url());
        JsonNode status = Poll.until("both embeddings indexed, the unknown schema ids skipped", Duration.ofSeconds(30),
            () -> http.ok("/api/status"), st -> st.at("/indexed/audio").asInt() == 2
                && st.at("/counters/embeddingsSkipped").asLong() == 1 && st.at("/counters/timelineRecordsSkipped").asLong() == 1);
        assertThat(status.at("/counters/timelineRecords").asLong()).isEqualTo(1);
        JsonNode timeline = http.ok("/api/streams/cam-reg/timeline");
        assertThat(timeline.get("spans")).singleElement().satisfies(span -> {
          assertThat(span.get("prompt").asText()).isEqualTo("beep");
          assertThat(span.get("state").asText()).isEqualTo("CLOSED");
        });

        ConsoleHttp.Answer put = http.put("/api/rules/reg-beep", "{\"prompt\":\"beep\",\"threshold\":0.5}");
        assertThat(put.status()).isEqualTo(200);
        List<ConsumerRecord<byte[], byte[]>> written = kafka.readCommitted(rules, 1, Duration.ofMillis(500), Duration.ofSeconds(20));
        assertThat(written).singleElement().satisfies(r -> {
          assertThat(r.value()[0]).as("registry magic byte").isEqualTo((byte) 0);
          assertThat(format.codec(AlertRule.class).decode(r.value()).getRuleId()).isEqualTo("reg-beep");
        });
        assertThat(registry.subjects()).contains(rules + "-value");

        kafka.send(rules, "plain", RecordCodec.of(AlertRule.class).encode(rule("plain")));
        kafka.send(rules, "lost", UNKNOWN_SCHEMA_ID);
        assertThat(ruleIds(http)).containsExactly("plain", "reg-beep");
      }

      // pestream rules takes the same records.* settings as the job
      assertThat(PestreamCli.run("rules", "put", "cli-hum", "--prompt", "hum", "--bootstrap", kafka.bootstrapServers(),
          "-D", "topics.alert-rules=" + rules, "-D", "records.wire-format=registry", "-D", "records.registry.url=" + registry.url()))
          .isZero();
      assertThat(kafka.readCommittedSoFar(rules, Duration.ofSeconds(10)))
          .filteredOn(r -> new String(r.key(), StandardCharsets.UTF_8).equals("cli-hum")).singleElement()
          .satisfies(r -> assertThat(format.codec(AlertRule.class).decode(r.value()).getPrompt()).isEqualTo("hum"))
          .satisfies(r -> assertThat(r.value()[0]).as("registry magic byte").isEqualTo((byte) 0));
    }

    // a registry that is gone: the registry-framed rule is skipped, the single-object one still listed
    String goneUrl;
    try (SchemaRegistryServer gone = SchemaRegistryServer.start()) {
      goneUrl = gone.url();
    }
    Properties client = new Properties();
    client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (ControlTopicClient control = new ControlTopicClient(client, topics.get("topics.alert-rules"),
        topics.get("topics.tag-vocabularies"), RecordFormat.registry(RegistrySettings.of(goneUrl)))) {
      assertThat(control.rules()).extracting(AlertRule::getRuleId).containsExactly("plain");
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    int exit;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      exit = PestreamCli.run("rules", "put", "cli-lost", "--prompt", "hum", "--bootstrap", kafka.bootstrapServers(),
          "-D", "topics.alert-rules=" + topics.get("topics.alert-rules"), "-D", "records.wire-format=registry",
          "-D", "records.registry.url=" + goneUrl);
    } finally {
      System.setErr(originalErr);
    }
    assertThat(exit).isEqualTo(ExitCode.REGISTRY.code());
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: ").doesNotContain("\tat ");
  }

  private static List<String> ruleIds(ConsoleHttp http) {
    List<String> ids = new ArrayList<>();
    http.ok("/api/rules").get("rules").forEach(r -> ids.add(r.get("ruleId").asText()));
    Collections.sort(ids);
    return ids;
  }

  private static Embedding embedding(String stream, int second) {
    List<Float> vector = new ArrayList<>(Collections.nCopies(DIM, 0f));
    vector.set(second, 1f);
    return ContractEmbeddings.audio(stream, second * 1_000_000L, (second + 2) * 1_000_000L, vector);
  }

  private static EventSpan span(String stream) {
    return EventSpan.newBuilder().setSpanId(stream + "/beep/3").setStreamId(stream).setPromptId("beep").setPromptText("beep")
        .setStartUs(3_000_000L).setEndUs(5_000_000L).setState(SpanState.CLOSED).setPeakScore(0.9f).setMeanScore(0.8f)
        .setThreshold(0.5f).setModelId(MODEL).build();
  }

  private static AlertRule rule(String id) {
    return AlertRule.newBuilder().setRuleId(id).setPrompt("hum").setThreshold(0.5f)
        .setUpdatedAtMs(Instant.now()).build();
  }
}
