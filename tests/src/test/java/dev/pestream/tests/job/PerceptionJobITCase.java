package dev.pestream.tests.job;

import static dev.pestream.testing.kafka.KafkaTestClient.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.tests.support.JobSettings;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.Modality;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.ClipScript;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.Vectors;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The perception job end to end on a real broker and a MiniCluster (2 TaskManagers, parallelism
 * 2), fed three 30 s streams in 1 s chunks, interleaved at random, with duplicates and local
 * reordering. Checks embeddings against an offline whole-clip computation, spans, tags, live rule
 * changes, and exactly-once output.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class PerceptionJobITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final int RED = 0;
  private static final int GREEN = 1;
  private static final int BLUE = 2;
  private static final int YELLOW = 3;
  private static final long SECOND = 1_000_000;
  /** Windows of 2 s every 1 s: overlapping, so every frame serves two windows. */
  private static final long WINDOW_US = 2 * SECOND;
  private static final long HOP_US = SECOND;

  private static final List<ClipScript> STREAMS = List.of(
      new ClipScript("cam-a", 30, RED).tone(7.3, 12.9).colourFrom(15, BLUE),
      new ClipScript("cam-b", 30, YELLOW).tone(7.3, 12.9).colourFrom(15, RED),
      new ClipScript("cam-c", 30, BLUE).tone(7.3, 12.9).colourFrom(15, YELLOW));
  private static final String[] COLOUR_WORDS = {"red", "green", "blue", "yellow"};

  @TempDir Path scratch;

  @Test
  void embeddingsSpansTagsAndLiveRulesExactlyOnce(KafkaTestClient kafka) throws Exception {
    Path bundle = ContractBundle.materialize(scratch.resolve("bundle"));
    Map<String, String> topics = kafka.newJobTopics("", 2);
    Map<String, String> settings = JobSettings.onBroker(kafka, topics, "it");
    settings.put("spans.prompts", "beep");
    JobConfig config = JobConfig.of(settings);

    kafka.send(topics.get("topics.tag-vocabularies"), "colours", RecordCodec.of(TagVocabulary.class).encode(
        TagVocabulary.newBuilder().setVocabularyId("colours").setTags(List.of(COLOUR_WORDS)).setTopK(1)
            .setOnThreshold(0.6f).setOffThreshold(0.4f).setUpdatedAtMs(Instant.now()).build()));

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    env.enableCheckpointing(500);
    new PerceptionJob(PerceptionSettings.from(config, bundle))
        .build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    JobClient job = env.executeAsync("perception-it");
    try {
      // 3 streams x 30 chunks, interleaved at random, 10 duplicated, neighbours swapped
      List<MediaChunk> chunks = new ArrayList<>();
      for (ClipScript stream : STREAMS) {
        for (int seq = 0; seq < stream.chunkCount(); seq++) {
          chunks.add(stream.chunk(seq, scratch));
        }
      }
      Random random = new Random(11);
      List<MediaChunk> feed = interleave(chunks, random);
      for (int i = 0; i < 10; i++) {
        MediaChunk again = feed.get(random.nextInt(feed.size()));
        feed.add(Math.min(feed.size(), feed.indexOf(again) + 1 + random.nextInt(5)), again);
      }
      kafka.sendChunks(topics.get("topics.chunks"), feed);

      int windowsPerStream = (int) ((30 * SECOND - WINDOW_US) / HOP_US) + 1;
      int expectedEmbeddings = STREAMS.size() * windowsPerStream * 3;
      List<Embedding> embeddings = kafka.readCommittedRecords(topics.get("topics.embeddings"),
          RecordCodec.of(Embedding.class), expectedEmbeddings, Duration.ofSeconds(3), Duration.ofMinutes(4));
      assertExactlyOnce(embeddings, e -> e.getStreamId() + "/" + e.getModality() + "/" + e.getWindowStartUs());
      assertThat(embeddings).hasSize(expectedEmbeddings);
      assertMatchesWholeClip(embeddings, bundle);

      List<EventSpan> spans = kafka.readCommittedRecords(topics.get("topics.spans"), RecordCodec.of(EventSpan.class),
          STREAMS.size() * 2, Duration.ofSeconds(2), Duration.ofMinutes(1));
      assertExactlyOnce(spans, s -> s.getSpanId() + "/" + s.getState());
      for (ClipScript stream : STREAMS) {
        List<EventSpan> ofStream = spans.stream().filter(s -> s.getStreamId().equals(stream.streamId())).toList();
        assertThat(ofStream).as(stream.streamId()).extracting(EventSpan::getState)
            .containsExactly(SpanState.OPEN, SpanState.CLOSED);
        EventSpan closed = ofStream.get(1);
        assertThat(closed.getPromptText()).isEqualTo("beep");
        assertThat(closed.getStartUs()).isBetween(7_300_000L - 40_000, 7_300_000L + 40_000);
        assertThat(closed.getEndUs()).isBetween(12_900_000L - 40_000, 12_900_000L + 40_000);
      }

      List<TagEvent> tags = kafka.readCommittedRecords(topics.get("topics.tags"), RecordCodec.of(TagEvent.class),
          STREAMS.size() * 3, Duration.ofSeconds(2), Duration.ofMinutes(1));
      assertExactlyOnce(tags, t -> t.getStreamId() + "/" + t.getTag() + "/" + t.getAction() + "/" + t.getWindowStartUs());
      for (ClipScript stream : STREAMS) {
        String before = COLOUR_WORDS[stream.colourAt(0)];
        String after = COLOUR_WORDS[stream.colourAt(20)];
        List<TagEvent> ofStream = tags.stream().filter(t -> t.getStreamId().equals(stream.streamId())).toList();
        assertThat(ofStream).as(stream.streamId()).extracting(t -> t.getAction() + " " + t.getTag())
            .containsExactly("ADDED " + before, "REMOVED " + before, "ADDED " + after);
        // the vocabulary reaches the tagger as broadcast state, possibly a few windows in
        assertThat(ofStream.get(0).getWindowStartUs()).isLessThan(10 * SECOND);
        for (TagEvent change : ofStream.subList(1, 3)) {
          long centre = (change.getWindowStartUs() + change.getWindowEndUs()) / 2;
          assertThat(Math.abs(centre - 15 * SECOND)).as("change near 15 s").isLessThanOrEqualTo(HOP_US);
        }
      }

      liveRuleChanges(kafka, topics);
    } finally {
      job.cancel().get();
    }
  }

  /** A rule added while the job runs fires on the next tone; deleting it stops it. */
  private void liveRuleChanges(KafkaTestClient kafka, Map<String, String> topics) throws Exception {
    ClipScript ruled = new ClipScript("lobby", 12, GREEN).tone(2.1, 3.0).tone(8.1, 9.0);
    RecordCodec<AlertRule> rules = RecordCodec.of(AlertRule.class);
    kafka.send(topics.get("topics.alert-rules"), "beeper", rules.encode(AlertRule.newBuilder()
        .setRuleId("beeper").setPrompt("beeping tone").setThreshold(0.5f).setStreamSelector("lob*")
        .setCooldownMs(0).setUpdatedAtMs(Instant.now()).build()));
    Thread.sleep(3000);
    List<MediaChunk> first = new ArrayList<>();
    for (int seq = 0; seq < 5; seq++) {
      first.add(ruled.chunk(seq, scratch));
    }
    kafka.sendChunks(topics.get("topics.chunks"), first);
    List<Alert> alerts = kafka.readCommittedRecords(topics.get("topics.alerts"), RecordCodec.of(Alert.class), 1,
        Duration.ofSeconds(1), Duration.ofMinutes(1));
    assertThat(alerts).isNotEmpty().allSatisfy(a -> {
      assertThat(a.getAlertId()).isEqualTo("beeper/lobby/" + a.getSpanStartUs() / 40_000);
      assertThat(a.getSpanStartUs()).isBetween(2_100_000L - 40_000, 2_100_000L);
    });
    assertThat(alerts.stream().map(Alert::getAlertId).distinct()).hasSize(1);

    kafka.sendRaw(topics.get("topics.alert-rules"), List.<byte[][]>of(new byte[][] {utf8("beeper"), null}));
    Thread.sleep(3000);
    List<MediaChunk> rest = new ArrayList<>();
    for (int seq = 5; seq < 12; seq++) {
      rest.add(ruled.chunk(seq, scratch));
    }
    kafka.sendChunks(topics.get("topics.chunks"), rest);
    // the second tone went through the job (its window embeddings are out) but raised nothing
    kafka.readCommittedRecords(topics.get("topics.embeddings"), RecordCodec.of(Embedding.class), 0,
        Duration.ofSeconds(1), Duration.ofSeconds(30)).stream()
        .filter(e -> e.getStreamId().equals("lobby") && e.getWindowEndUs() >= 11 * SECOND)
        .findAny().orElseThrow(() -> new AssertionError("the lobby stream's last windows never came out"));
    List<Alert> after = kafka.readCommittedRecords(topics.get("topics.alerts"), RecordCodec.of(Alert.class), 0,
        Duration.ofSeconds(1), Duration.ofSeconds(5));
    assertThat(after).allSatisfy(a -> assertThat(a.getSpanStartUs()).isLessThan(5 * SECOND));
  }

  /** Compares every embedding with the same graphs run on the whole clip decoded in one piece. */
  private void assertMatchesWholeClip(List<Embedding> embeddings, Path bundle) throws Exception {
    try (Models models = Models.open(bundle, RuntimeOptions.cpu());
        ChunkDecoder decoder = new ChunkDecoder(
            DecodeLimits.builder().maxDurationUs(60 * SECOND).maxVideoFrames(10_000).build(),
            new dev.pestream.operators.decode.FramePolicy.Native(),
            dev.pestream.operators.decode.VideoPreprocessing.pe(models.manifest().video().imageSize()))) {
      for (ClipScript stream : STREAMS) {
        DecodedChunk whole = decoder.decode(stream.render(0, 30, scratch), 0, 30 * SECOND, "matroska");
        float[] samples = Arrays.copyOf(whole.audio, (int) Math.ceil(whole.audio.length / 1920.0) * 1920);
        float[][] audio = models.audioCodec().encode(samples);
        float[][] frames = new float[whole.frameCount()][];
        for (int f = 0; f < frames.length; f++) {
          frames[f] = models.frameEncoder().encode(Arrays.copyOfRange(whole.pixels, whole.frameOffset(f),
              whole.frameOffset(f) + whole.frameFloats()));
        }
        for (Embedding e : embeddings) {
          if (!e.getStreamId().equals(stream.streamId())) {
            continue;
          }
          int firstFrame = (int) (e.getWindowStartUs() / 40_000);
          float[][] windowAudio = Arrays.copyOfRange(audio, firstFrame, (int) (e.getWindowEndUs() / 40_000));
          List<float[]> windowFrames = new ArrayList<>();
          for (int f = 0; f < frames.length; f++) {
            if (whole.framePtsUs[f] >= e.getWindowStartUs() && whole.framePtsUs[f] < e.getWindowEndUs()) {
              windowFrames.add(frames[f]);
            }
          }
          float[][] windowVideo = windowFrames.toArray(new float[0][]);
          float[] expected = switch (e.getModality()) {
            case AUDIO -> models.audioEncoder().embed(windowAudio);
            case VIDEO -> models.videoEncoder().embed(windowVideo);
            case AUDIO_VIDEO -> models.avEncoder().embed(windowAudio, windowVideo);
          };
          assertThat(e.getFrameCount()).isEqualTo(e.getModality() == Modality.VIDEO ? windowVideo.length : windowAudio.length);
          assertThat(Vectors.cosine(Vectors.toArray(e.getVector()), expected))
              .as("%s %s window at %d us", e.getStreamId(), e.getModality(), e.getWindowStartUs())
              .isGreaterThanOrEqualTo(0.9999);
        }
      }
    }
  }

  private static List<MediaChunk> interleave(List<MediaChunk> chunks, Random random) {
    Map<String, List<MediaChunk>> byStream = chunks.stream()
        .collect(Collectors.groupingBy(MediaChunk::getStreamId, java.util.LinkedHashMap::new, Collectors.toList()));
    List<MediaChunk> out = new ArrayList<>();
    List<List<MediaChunk>> queues = new ArrayList<>(byStream.values().stream().map(ArrayList::new).toList());
    while (queues.stream().anyMatch(q -> !q.isEmpty())) {
      List<MediaChunk> q = queues.get(random.nextInt(queues.size()));
      if (!q.isEmpty()) {
        out.add(q.remove(0));
      }
    }
    for (int i = 0; i + 1 < out.size(); i += 7) {
      Collections.swap(out, i, i + 1);
    }
    return out;
  }

  private static <T> void assertExactlyOnce(List<T> records, java.util.function.Function<T, String> key) {
    Map<String, Long> counts = records.stream().collect(Collectors.groupingBy(key, Collectors.counting()));
    assertThat(counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
        .as("records delivered more than once").isEmpty();
  }
}
