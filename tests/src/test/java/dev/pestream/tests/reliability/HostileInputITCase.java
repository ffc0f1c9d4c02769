package dev.pestream.tests.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.tests.support.JobSettings;
import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import dev.pestream.operators.alerts.ControlRecords;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.ClipScript;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage on every input topic of the running perception job: bytes that are not Avro, unknown
 * schema fingerprints (random ones and records of another type), truncated bodies, empty values,
 * records over {@code kafka.max-record-size}, undecodable media and malformed control records,
 * some of them reusing the ids of valid rules and vocabularies. Every one must come out as a
 * dead letter with a reason; the job must keep running without a single restart (restart
 * strategy none: any task failure fails the job); and the valid rule and vocabulary sent before
 * the garbage must still raise the alert and the tag afterwards.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class HostileInputITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final int RED = 0;
  private static final int MAX_RECORD_BYTES = 256 * 1024;
  private static final String RULES = "topics.alert-rules";
  private static final String VOCABULARIES = "topics.tag-vocabularies";
  private static final String CHUNKS = "topics.chunks";

  private static final RecordCodec<MediaChunk> CHUNK_CODEC = RecordCodec.of(MediaChunk.class);
  private static final RecordCodec<AlertRule> RULE_CODEC = RecordCodec.of(AlertRule.class);
  private static final RecordCodec<TagVocabulary> VOCABULARY_CODEC = RecordCodec.of(TagVocabulary.class);

  @TempDir Path scratch;
  private final Random random = new Random(5);

  @Test
  void garbageOnEveryInputTopicIsDeadLetteredAndTheJobCarriesOn(KafkaTestClient kafka) throws Exception {
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> settings = JobSettings.onBroker(kafka, kafka.newJobTopics("", 2), "hostile");
    settings.put("kafka.max-record-size", MAX_RECORD_BYTES + " b");
    JobConfig config = JobConfig.of(settings);

    kafka.send(settings.get(VOCABULARIES), "colours", VOCABULARY_CODEC.encode(colours().build()));
    kafka.send(settings.get(RULES), "beeper", RULE_CODEC.encode(beeper().build()));

    Configuration noRestarts = new Configuration();
    noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
    env.setParallelism(2);
    env.enableCheckpointing(500);
    new PerceptionJob(PerceptionSettings.from(config, bundle))
        .build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    JobClient job = env.executeAsync("hostile-input-it");
    try {
      int expectedLetters = sendGarbage(kafka, settings);
      Thread.sleep(2000); // the garbage control records reach the operators before the media
      ClipScript lobby = new ClipScript("lobby", 4, RED).tone(1.1, 2.0);
      List<MediaChunk> chunks = new ArrayList<>();
      for (int seq = 0; seq < lobby.chunkCount(); seq++) {
        chunks.add(lobby.chunk(seq, scratch));
      }
      kafka.sendChunks(settings.get(CHUNKS), chunks);

      List<DeadLetter> letters = kafka.readCommittedRecords(settings.get("topics.dead-letters"),
          RecordCodec.of(DeadLetter.class), expectedLetters, Duration.ofSeconds(3), Duration.ofMinutes(2));
      assertThat(letters).allSatisfy(l -> assertThat(l.getReason()).isNotBlank());
      assertThat(countByOrigin(letters, settings)).isEqualTo(new TreeMap<>(Map.ofEntries(
          Map.entry("chunks/deserialize/EMPTY", 2L),
          Map.entry("chunks/deserialize/MALFORMED_BODY", 1L),
          Map.entry("chunks/deserialize/NOT_SINGLE_OBJECT", 1L),
          Map.entry("chunks/deserialize/TOO_LARGE", 1L),
          Map.entry("chunks/deserialize/UNKNOWN_FINGERPRINT", 2L),
          Map.entry("junk/decode/UNREADABLE", 1L),
          Map.entry("rules/deserialize/EMPTY", 1L),
          Map.entry("rules/deserialize/MALFORMED_BODY", 1L),
          Map.entry("rules/deserialize/NOT_SINGLE_OBJECT", 1L),
          Map.entry("rules/deserialize/TOO_LARGE", 1L),
          Map.entry("rules/deserialize/UNKNOWN_FINGERPRINT", 2L),
          Map.entry("beeper/spans/INVALID_ALERT_RULE", 1L),
          Map.entry("blank/spans/INVALID_ALERT_RULE", 1L),
          Map.entry("wide/spans/INVALID_ALERT_RULE", 1L),
          Map.entry("vocabularies/deserialize/EMPTY", 1L),
          Map.entry("vocabularies/deserialize/MALFORMED_BODY", 1L),
          Map.entry("vocabularies/deserialize/NOT_SINGLE_OBJECT", 1L),
          Map.entry("vocabularies/deserialize/TOO_LARGE", 1L),
          Map.entry("vocabularies/deserialize/UNKNOWN_FINGERPRINT", 2L),
          Map.entry("colours/tags/INVALID_TAG_VOCABULARY", 1L),
          Map.entry("nothing/tags/INVALID_TAG_VOCABULARY", 1L))));
      assertThat(letters).hasSize(expectedLetters);
      assertThat(letters).filteredOn(l -> l.getStage().equals(ParseRecords.STAGE))
          .allSatisfy(l -> assertThat(l.getOriginOffset()).as("origin offset").isNotNull());
      DeadLetter oversized = letters.stream()
          .filter(l -> l.getErrorClass().equals("TOO_LARGE") && l.getOriginTopic().equals(settings.get(CHUNKS)))
          .findFirst().orElseThrow();
      assertThat(oversized.getPayloadSize()).isGreaterThan(MAX_RECORD_BYTES);
      assertThat(oversized.getPayload().remaining()).as("kept bytes are capped").isEqualTo(DeadLetters.MAX_PAYLOAD_BYTES);

      // The rule and vocabulary sent before the garbage (and re-sent broken under the same ids) still work.
      List<Alert> alerts = kafka.readCommittedRecords(settings.get("topics.alerts"), RecordCodec.of(Alert.class), 1,
          Duration.ofSeconds(1), Duration.ofMinutes(1));
      assertThat(alerts).isNotEmpty().allSatisfy(a -> {
        assertThat(a.getAlertId()).startsWith("beeper/lobby/");
        assertThat(a.getSpanStartUs()).isBetween(1_100_000L - 40_000, 1_100_000L);
      });
      List<TagEvent> tags = kafka.readCommittedRecords(settings.get("topics.tags"), RecordCodec.of(TagEvent.class), 1,
          Duration.ofSeconds(1), Duration.ofMinutes(1));
      assertThat(tags).filteredOn(t -> t.getStreamId().equals("lobby"))
          .extracting(t -> t.getAction() + " " + t.getTag()).containsExactly(TagAction.ADDED + " red");
      List<Embedding> embeddings = kafka.readCommittedRecords(settings.get("topics.embeddings"),
          RecordCodec.of(Embedding.class), 9, Duration.ofSeconds(1), Duration.ofMinutes(1));
      assertThat(embeddings).filteredOn(e -> e.getStreamId().equals("lobby")).hasSize(9);

      assertThat(job.getJobStatus().get()).as("no task failed (restart strategy: none)").isEqualTo(JobStatus.RUNNING);
    } finally {
      job.cancel().get();
    }
  }

  /** Sends the garbage; returns how many dead letters it must cause. */
  private int sendGarbage(KafkaTestClient kafka, Map<String, String> topics) {
    List<byte[][]> chunkGarbage = new ArrayList<>(commonGarbage("junk", validChunk("junk", new byte[] {1, 2, 3})));
    chunkGarbage.add(kv("junk", null)); // no tombstones on a data topic
    chunkGarbage.add(kv("junk", RULE_CODEC.encode(beeper().build()))); // a record of another type
    chunkGarbage.add(kv("junk", CHUNK_CODEC.encode(validChunk("junk", randomBytes(MAX_RECORD_BYTES + 40_000)))));
    // parses, but the media is not media: dead-lettered by the decoder
    chunkGarbage.add(kv("junk", CHUNK_CODEC.encode(validChunk("junk", "not a container".getBytes(StandardCharsets.UTF_8)))));
    kafka.sendRaw(topics.get(CHUNKS), chunkGarbage);

    List<byte[][]> ruleGarbage = new ArrayList<>(commonGarbage("beeper", beeper().build()));
    ruleGarbage.add(kv("beeper", VOCABULARY_CODEC.encode(colours().build())));
    ruleGarbage.add(kv("huge", RULE_CODEC.encode(beeper().setRuleId("huge").setPrompt("x".repeat(MAX_RECORD_BYTES)).build())));
    ruleGarbage.add(kv("beeper", RULE_CODEC.encode(beeper().setThreshold(1.5f).build())));
    ruleGarbage.add(kv("blank", RULE_CODEC.encode(beeper().setRuleId("blank").setPrompt(" ").build())));
    ruleGarbage.add(kv("wide", RULE_CODEC.encode(beeper().setRuleId("wide")
        .setStreamSelector("*a".repeat(ControlRecords.MAX_SELECTOR_CHARS)).build())));
    kafka.sendRaw(topics.get(RULES), ruleGarbage);

    List<byte[][]> vocabularyGarbage = new ArrayList<>(commonGarbage("colours", colours().build()));
    vocabularyGarbage.add(kv("colours", RULE_CODEC.encode(beeper().build())));
    vocabularyGarbage.add(kv("huge", VOCABULARY_CODEC.encode(colours().setVocabularyId("huge")
        .setTags(List.of("y".repeat(MAX_RECORD_BYTES))).build())));
    // would drop "red" if it were half-applied
    vocabularyGarbage.add(kv("colours", VOCABULARY_CODEC.encode(colours().setTags(List.of("green", "blue")).setTopK(0).build())));
    vocabularyGarbage.add(kv("nothing", VOCABULARY_CODEC.encode(colours().setVocabularyId("nothing").setTags(List.of()).build())));
    kafka.sendRaw(topics.get(VOCABULARIES), vocabularyGarbage);
    return chunkGarbage.size() + ruleGarbage.size() + vocabularyGarbage.size();
  }

  /** Not Avro, an unknown fingerprint, a truncated body and an empty value, keyed {@code key}. */
  private <T extends SpecificRecordBase> List<byte[][]> commonGarbage(String key, T valid) {
    @SuppressWarnings("unchecked")
    RecordCodec<T> codec = RecordCodec.of((Class<T>) valid.getClass());
    byte[] encoded = codec.encode(valid);
    byte[] unknownFingerprint = encoded.clone();
    for (int i = 2; i < RecordCodec.HEADER_BYTES; i++) {
      unknownFingerprint[i] = (byte) random.nextInt(256);
    }
    return List.of(
        kv(key, "{\"ruleId\": \"json is not avro\"}".getBytes(StandardCharsets.UTF_8)),
        kv(key, unknownFingerprint),
        kv(key, Arrays.copyOf(encoded, RecordCodec.HEADER_BYTES + (encoded.length - RecordCodec.HEADER_BYTES) / 2)),
        kv(key, new byte[0]));
  }

  /** Dead letters counted by where they came from ({@code topic-alias/stage/error} or {@code id/stage/error}). */
  private static Map<String, Long> countByOrigin(List<DeadLetter> letters, Map<String, String> topics) {
    Map<String, String> aliases = Map.of(topics.get(CHUNKS), "chunks", topics.get(RULES), "rules",
        topics.get(VOCABULARIES), "vocabularies");
    return letters.stream().collect(Collectors.groupingBy(l -> {
      String origin = l.getStage().equals(ParseRecords.STAGE) ? aliases.get(l.getOriginTopic()) : l.getStreamId();
      return origin + "/" + l.getStage() + "/" + l.getErrorClass();
    }, TreeMap::new, Collectors.counting()));
  }

  private static AlertRule.Builder beeper() {
    return AlertRule.newBuilder().setRuleId("beeper").setPrompt("beeping tone").setThreshold(0.5f)
        .setStreamSelector("lob*").setCooldownMs(0).setUpdatedAtMs(Instant.now());
  }

  private static TagVocabulary.Builder colours() {
    return TagVocabulary.newBuilder().setVocabularyId("colours").setTags(List.of("red", "green", "blue", "yellow"))
        .setTopK(1).setOnThreshold(0.6f).setOffThreshold(0.4f).setUpdatedAtMs(Instant.now());
  }

  private static MediaChunk validChunk(String streamId, byte[] payload) {
    return MediaChunk.newBuilder().setStreamId(streamId).setSeq(0).setKind(MediaKind.AUDIO_VIDEO)
        .setContainer("matroska").setStartUs(0).setDurationUs(1_000_000).setIngestTimeMs(Instant.now())
        .setPayload(ByteBuffer.wrap(payload)).build();
  }

  private byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[][] kv(String key, byte[] value) {
    return new byte[][] {KafkaTestClient.utf8(key), value};
  }
}
