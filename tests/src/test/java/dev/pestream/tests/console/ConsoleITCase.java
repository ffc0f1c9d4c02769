package dev.pestream.tests.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.tests.support.JobSettings;
import dev.pestream.console.Console;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.Poll;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.ClipScript;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console on a real broker behind the perception job (MiniCluster, parallelism 2) on generated
 * clips: timelines, search, rules through the API reaching the running job, bad requests and bad
 * embeddings, a console restarted mid-stream that holds each window exactly once, and a wiped index rebuilt.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class ConsoleITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final long SECOND = 1_000_000;
  private static final int RED = 0;
  private static final int GREEN = 1;
  private static final int BLUE = 2;
  private static final ClipScript TONE = new ClipScript("cam-tone", 10, RED).tone(3.0, 5.0).colourFrom(6, BLUE);
  private static final ClipScript QUIET = new ClipScript("cam-quiet", 10, GREEN);
  private static final ClipScript LOBBY = new ClipScript("lobby", 10, GREEN).tone(1.1, 2.0).tone(7.1, 8.0);
  private static final String HOSTILE = "<img src=x onerror=alert(1)>";

  @TempDir Path scratch;

  @Test
  void timelinesSearchRulesAndRestart(KafkaTestClient kafka) throws Exception {
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> topics = kafka.newJobTopics("", 2);
    JobConfig config = jobConfig(kafka, topics);
    kafka.send(topics.get("topics.tag-vocabularies"), "colours", RecordCodec.of(TagVocabulary.class).encode(
        TagVocabulary.newBuilder().setVocabularyId("colours").setTags(List.of("red", "green", "blue")).setTopK(1)
            .setOnThreshold(0.6f).setOffThreshold(0.4f).setUpdatedAtMs(Instant.now()).build()));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(500);
    new PerceptionJob(PerceptionSettings.from(config, bundle)).build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    JobClient job = env.executeAsync("console-it");
    Path indexDir = scratch.resolve("index");
    ConsoleSettings settings = ConsoleSettings.builder().bootstrapServers(kafka.bootstrapServers())
        .topics(JobTopicsForConsole.of(topics)).bundleDir(bundle).indexDir(indexDir).port(0)
        .commitInterval(Duration.ofMillis(200)).build();
    Console console = Console.start(settings);
    try {
      // first half of both clips, then a console restart, then the rest
      kafka.sendChunks(topics.get("topics.chunks"), chunks(0, 5, TONE, QUIET));
      ConsoleHttp first = new ConsoleHttp(console.url());
      Poll.until("the console indexed the first windows", Duration.ofMinutes(2), () -> indexed(first), n -> n > 0);
      console.close();
      console = Console.start(settings);
      ConsoleHttp http = new ConsoleHttp(console.url());
      kafka.sendChunks(topics.get("topics.chunks"), chunks(5, 10, TONE, QUIET));
      badEmbeddings(kafka, topics.get("topics.embeddings"));
      kafka.send(topics.get("topics.captions"), TONE.streamId(), RecordCodec.of(Caption.class).encode(caption()));

      // every window of both clips (9 per stream and modality with 2 s windows every 1 s), each once
      int expected = 2 * 9 * 3;
      List<Embedding> inKafka = kafka.readCommittedRecords(topics.get("topics.embeddings"), RecordCodec.of(Embedding.class),
          expected + 3, Duration.ofSeconds(2), Duration.ofMinutes(3));
      Set<String> windows = new HashSet<>();
      inKafka.stream().filter(e -> !e.getStreamId().equals("bad"))
          .forEach(e -> windows.add(e.getStreamId() + "/" + e.getModality() + "/" + e.getWindowStartUs()));
      assertThat(windows).hasSize(expected);
      Poll.until("the console indexed every window", Duration.ofSeconds(30), () -> indexed(http), n -> n >= expected);
      Thread.sleep(500);
      JsonNode status = http.ok("/api/status");
      assertThat(status.at("/indexed/audio").asInt() + status.at("/indexed/video").asInt()
          + status.at("/indexed/audio_video").asInt()).as("each window once after the restart").isEqualTo(expected);
      assertThat(status.at("/counters/embeddingsSkipped").asLong()).as("wrong dimension + unknown model + NaN").isEqualTo(3);

      timeline(http);
      search(http);
      badRequests(http);
      rulesReachTheJob(kafka, topics, http);

      // a wiped index is rebuilt from the topic: the same windows, once each
      int before = indexed(http);
      console.close();
      deleteRecursively(indexDir);
      console = Console.start(settings);
      ConsoleHttp rebuilt = new ConsoleHttp(console.url());
      Poll.until("the wiped index rebuilt from the topic", Duration.ofMinutes(1), () -> indexed(rebuilt), n -> n >= before);
      Thread.sleep(500);
      assertThat(indexed(rebuilt)).isEqualTo(before);
      assertThat(rebuilt.ok("/api/status").at("/counters/embeddingsSkipped").asLong()).isEqualTo(3);
    } finally {
      console.close();
      job.cancel().get();
    }
  }

  private static void timeline(ConsoleHttp http) {
    Poll.until("tags and the caption on the timeline", Duration.ofSeconds(30),
        () -> http.ok("/api/streams/" + TONE.streamId() + "/timeline"), t -> t.get("captions").size() == 1 && t.get("tags").size() >= 2);
    JsonNode t = http.ok("/api/streams/" + TONE.streamId() + "/timeline");
    List<JsonNode> closed = new ArrayList<>();
    t.get("spans").forEach(s -> {
      if (s.get("state").asText().equals("CLOSED")) {
        closed.add(s);
      }
    });
    assertThat(closed).singleElement().satisfies(s -> {
      assertThat(s.get("prompt").asText()).isEqualTo("beep");
      assertThat(s.get("startUs").asLong()).isBetween(3 * SECOND - 40_000, 3 * SECOND + 40_000);
      assertThat(s.get("endUs").asLong()).isBetween(5 * SECOND - 40_000, 5 * SECOND + 40_000);
      assertThat(s.get("peak").asDouble()).isGreaterThan(0.3);
    });
    List<String> tags = new ArrayList<>();
    t.get("tags").forEach(s -> tags.add(s.get("tag").asText() + (s.get("endUs").isNull() ? " on" : " off")));
    assertThat(tags).containsExactly("red off", "blue on");
    assertThat(t.at("/captions/0/text").asText()).isEqualTo(HOSTILE);
    assertThat(http.ok("/api/streams/" + QUIET.streamId() + "/timeline").get("spans")).isEmpty();

    JsonNode streams = http.ok("/api/streams?stream=cam-t*").get("streams");
    assertThat(streams).hasSize(1);
    assertThat(streams.at("/0/streamId").asText()).isEqualTo(TONE.streamId());
    assertThat(streams.at("/0/tags/0").asText()).isEqualTo("blue");
    assertThat(streams.at("/0/counts/embeddings.audio").asInt()).isEqualTo(9);
    assertThat(http.get("/api/streams/nope/timeline").status()).isEqualTo(404);
  }

  /** "beep" ranks every audio window that holds part of the tone above every window without it. */
  private static void search(ConsoleHttp http) {
    JsonNode results = http.ok("/api/search?q=beep&modality=audio&k=50").get("results");
    assertThat(results).hasSize(18);
    double lowestWithTone = 1;
    double highestWithout = 0;
    int withTone = 0;
    for (JsonNode r : results) {
      boolean holdsTone = r.get("streamId").asText().equals(TONE.streamId())
          && r.get("windowStartUs").asLong() < 5 * SECOND && r.get("windowEndUs").asLong() > 3 * SECOND;
      double score = r.get("score").asDouble();
      assertThat(r.get("modality").asText()).isEqualTo("audio");
      if (holdsTone) {
        withTone++;
        lowestWithTone = Math.min(lowestWithTone, score);
      } else {
        highestWithout = Math.max(highestWithout, score);
      }
    }
    assertThat(withTone).isEqualTo(3); // windows [2,4) [3,5) [4,6) s
    assertThat(lowestWithTone).isGreaterThan(highestWithout);
    assertThat(results.at("/0/windowStartUs").asLong()).isEqualTo(3 * SECOND);
    JsonNode quiet = http.ok("/api/search?q=beep&modality=audio&k=3&stream=cam-q*").get("results");
    assertThat(quiet).hasSize(3).allSatisfy(r -> assertThat(r.get("streamId").asText()).isEqualTo(QUIET.streamId()));
    JsonNode ranged = http.ok("/api/search?q=red&modality=video&k=50&fromUs=0&toUs=" + 3 * SECOND).get("results");
    assertThat(ranged).isNotEmpty().allSatisfy(r -> assertThat(r.get("windowStartUs").asLong()).isLessThanOrEqualTo(3 * SECOND));
    assertThat(ranged.at("/0/streamId").asText()).isEqualTo(TONE.streamId()); // the red one
  }

  private static void badRequests(ConsoleHttp http) {
    Map<String, String> cases = new HashMap<>();
    cases.put("/api/search?q=beep&modality=smell", "modality 'smell' is unknown");
    cases.put("/api/search?q=&modality=audio", "q is empty");
    cases.put("/api/search?q=" + "a".repeat(1001), "shorten it");
    cases.put("/api/search?q=beep&k=0", "k=0 is out of range");
    cases.forEach((path, error) -> {
      ConsoleHttp.Answer a = http.get(path);
      assertThat(a.status()).as(path).isEqualTo(400);
      assertThat(a.json().get("error").asText()).as(path).contains(error);
    });
    ConsoleHttp.Answer threshold = http.put("/api/rules/bad", "{\"prompt\":\"beep\",\"threshold\":1.5}");
    assertThat(threshold.status()).isEqualTo(400);
    assertThat(threshold.json().get("error").asText()).contains("outside (0, 1)");
    ConsoleHttp.Answer selector = http.put("/api/rules/bad", "{\"prompt\":\"beep\",\"threshold\":0.5,\"streamSelector\":\"a\\u0000b\"}");
    assertThat(selector.status()).isEqualTo(400);
    assertThat(selector.json().get("error").asText()).contains("streamSelector");
  }

  /** A rule put through the API raises an alert on the next tone; deleted, it raises none. */
  private void rulesReachTheJob(KafkaTestClient kafka, Map<String, String> topics, ConsoleHttp http) throws Exception {
    ConsoleHttp.Answer put = http.put("/api/rules/lobby-beep",
        "{\"prompt\":\"beep\",\"threshold\":0.5,\"streamSelector\":\"lob*\",\"cooldownMs\":0}");
    assertThat(put.status()).isEqualTo(200);
    assertThat(http.ok("/api/rules").get("rules")).anySatisfy(r -> assertThat(r.get("ruleId").asText()).isEqualTo("lobby-beep"));
    Thread.sleep(3000); // the job's broadcast of control records
    kafka.sendChunks(topics.get("topics.chunks"), chunks(0, 5, LOBBY));
    List<Alert> alerts = kafka.readCommittedRecords(topics.get("topics.alerts"), RecordCodec.of(Alert.class), 1,
        Duration.ofSeconds(1), Duration.ofMinutes(1));
    assertThat(alerts).isNotEmpty().allSatisfy(a -> {
      assertThat(a.getRuleId()).isEqualTo("lobby-beep");
      assertThat(a.getSpanStartUs()).isBetween(1_100_000L - 40_000, 1_100_000L + 40_000);
    });
    Poll.until("the alert on the lobby timeline", Duration.ofSeconds(20), () -> http.ok("/api/streams/lobby/timeline"),
        t -> t.get("alerts").size() == 1);

    assertThat(http.delete("/api/rules/lobby-beep").status()).isEqualTo(204);
    assertThat(http.delete("/api/rules/lobby-beep").status()).isEqualTo(404);
    assertThat(http.ok("/api/rules").get("rules")).noneSatisfy(r -> assertThat(r.get("ruleId").asText()).isEqualTo("lobby-beep"));
    Thread.sleep(3000);
    kafka.sendChunks(topics.get("topics.chunks"), chunks(5, 10, LOBBY));
    Poll.until("the lobby's last windows through the job", Duration.ofMinutes(1),
        () -> http.ok("/api/streams?stream=lobby").at("/streams/0/lastResultUs").asLong(), us -> us >= 9 * SECOND);
    Thread.sleep(1000);
    assertThat(http.ok("/api/streams/lobby/timeline").get("alerts")).hasSize(1);
    assertThat(kafka.readCommittedRecordsSoFar(topics.get("topics.alerts"), RecordCodec.of(Alert.class), Duration.ofSeconds(5)))
        .allSatisfy(a -> assertThat(a.getSpanStartUs()).isLessThan(5 * SECOND));
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static int indexed(ConsoleHttp http) {
    JsonNode status = http.ok("/api/status");
    return status.at("/indexed/audio").asInt() + status.at("/indexed/video").asInt() + status.at("/indexed/audio_video").asInt();
  }

  private void badEmbeddings(KafkaTestClient kafka, String topic) {
    RecordCodec<Embedding> codec = RecordCodec.of(Embedding.class);
    Embedding wrongDim = ContractEmbeddings.audio("bad", 0, 1, List.of(1f, 2f, 3f));
    Embedding unknownModel = Embedding.newBuilder(wrongDim).setModelId("someone/else").build();
    List<Float> overflowed = new ArrayList<>(Collections.nCopies(1024, 0.01f));
    overflowed.set(5, Float.NaN); // what an fp16 graph that overflows gives
    Embedding notFinite = Embedding.newBuilder(wrongDim).setDim(1024).setVector(overflowed).build();
    kafka.send(topic, "bad", codec.encode(wrongDim));
    kafka.send(topic, "bad", codec.encode(unknownModel));
    kafka.send(topic, "bad", codec.encode(notFinite));
  }

  private static Caption caption() {
    return Caption.newBuilder().setStreamId(TONE.streamId()).setWindowStartUs(0).setWindowEndUs(2 * SECOND)
        .setStatus(CaptionStatus.OK).setText(HOSTILE).setPrompt("Describe").setModel("plm-test").setFrameCount(2)
        .setAttempts(1).setLatencyMs(10).setPromptTokens(1).setCompletionTokens(1).setTruncated(false).build();
  }

  private List<MediaChunk> chunks(int fromSeq, int toSeq, ClipScript... clips) throws Exception {
    List<MediaChunk> out = new ArrayList<>();
    for (int seq = fromSeq; seq < toSeq; seq++) {
      for (ClipScript clip : clips) {
        out.add(clip.chunk(seq, scratch));
      }
    }
    return out;
  }

  static JobConfig jobConfig(KafkaTestClient kafka, Map<String, String> topics) {
    Map<String, String> s = JobSettings.onBroker(kafka, topics, "console-it");
    s.put("spans.prompts", "beep");
    return JobConfig.of(s);
  }

}
