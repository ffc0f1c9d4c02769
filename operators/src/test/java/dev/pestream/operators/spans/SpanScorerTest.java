package dev.pestream.operators.spans;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.encode.EncodedChunk;
import dev.pestream.operators.support.TestModels;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.SpanState;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SpanScorerTest {
  private static Models models;
  /** 6 s of audio with a 1 kHz tone over [1.3 s, 3.7 s), as contract codec features (150 frames). */
  private static float[][] features;

  @BeforeAll
  static void encode() {
    models = Models.open(TestModels.contractBundle(), RuntimeOptions.cpu());
    features = models.audioCodec().encode(TestModels.toneWaveform(6, 1.3, 3.7));
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, EncodedChunk, AlertRule, EventSpan> harness(
      List<PromptSpec> prompts) throws Exception {
    SpanScorer scorer = new SpanScorer(TestModels.contract(),
        new SpanSettings(prompts, SpanRule.reference(0.3f), Duration.ofSeconds(1), Duration.ZERO));
    var h = new KeyedTwoInputStreamOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(scorer, List.of(SpanScorer.RULES)),
        (EncodedChunk c) -> c.streamId, null, Types.STRING);
    h.setup(dev.pestream.connectors.flink.RecordTypeInfo.forRecord(EventSpan.class)
        .createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
  }

  private static void feedSeconds(KeyedTwoInputStreamOperatorTestHarness<String, EncodedChunk, AlertRule, EventSpan> h,
      String stream, int fromSecond, int toSecond) throws Exception {
    for (int s = fromSecond; s < toSecond; s++) {
      h.processElement1(new StreamRecord<>(TestModels.audioChunk(stream, s, s * 25L,
          Arrays.copyOfRange(features, s * 25, s * 25 + 25), 1_000L * s)));
    }
  }

  private static AlertRule rule(String id, String prompt, long cooldownMs) {
    return AlertRule.newBuilder().setRuleId(id).setPrompt(prompt).setThreshold(0.5f).setCooldownMs(cooldownMs)
        .setUpdatedAtMs(Instant.EPOCH).build();
  }

  @Test
  void aToneAcrossChunksIsOneSpanWithFrameAccurateEdges() throws Exception {
    try (var h = harness(List.of(PromptSpec.parse("beep"), PromptSpec.parse("hum")))) {
      feedSeconds(h, "cam", 0, 6);
      List<EventSpan> spans = h.extractOutputValues();
      assertThat(spans).extracting(EventSpan::getState).containsExactly(SpanState.OPEN, SpanState.CLOSED);
      EventSpan closed = spans.get(1);
      assertThat(closed.getPromptId()).isEqualTo("beep");
      // 1.3 s and 3.7 s fall inside frames 32 and 92: the reference rule gives [32*40 ms, 93*40 ms)
      assertThat(closed.getStartUs()).isBetween(1_300_000L - 40_000, 1_300_000L);
      assertThat(closed.getEndUs()).isBetween(3_700_000L, 3_700_000L + 40_000);
      assertThat(closed.getSpanId()).isEqualTo(spans.get(0).getSpanId()).isEqualTo("cam/beep/" + closed.getStartUs() / 40_000);
      assertThat(closed.getPeakScore()).isGreaterThan(0.9f);
      assertThat(closed.getModelId()).isEqualTo("pestream/contract-pe-av");
    }
  }

  @Test
  void rulesAddedWhileRunningFireOncePerCooldownAndStopWhenDeleted() throws Exception {
    try (var h = harness(List.of())) {
      h.processElement2(new StreamRecord<>(rule("r-beep", "beep", 60_000)));
      feedSeconds(h, "cam", 0, 2); // span opens at 1.28 s
      assertThat(h.getSideOutput(SpanScorer.ALERTS)).hasSize(1);
      Alert alert = h.getSideOutput(SpanScorer.ALERTS).peek().getValue();
      assertThat(alert.getAlertId()).isEqualTo("r-beep/cam/32");
      assertThat(alert.getChunkIngestTimeMs()).isEqualTo(Instant.ofEpochMilli(1000));

      h.processElement2(new StreamRecord<>(AlertRule.newBuilder(rule("r-beep", "beep", 0)).setDeleted(true).build()));
      feedSeconds(h, "cam", 2, 6);
      List<EventSpan> spans = h.extractOutputValues();
      // the rule's span is closed when the rule goes, and nothing more is scored for it
      assertThat(spans).extracting(EventSpan::getState).containsExactly(SpanState.OPEN, SpanState.CLOSED);
      assertThat(spans.get(1).getEndUs()).isEqualTo(2_000_000L);
      assertThat(h.getSideOutput(SpanScorer.ALERTS)).hasSize(1);
    }
  }

  @Test
  void cooldownSuppressesRepeatsOnTheSameStreamButNotOnOthers() throws Exception {
    try (var h = harness(List.of())) {
      h.processElement2(new StreamRecord<>(rule("r", "beep", 600_000)));
      feedSeconds(h, "cam-a", 0, 6);
      feedSeconds(h, "cam-a", 6, 6);
      // a second pass of the same tone later on the same stream (stream clock + 6 s)
      for (int s = 0; s < 6; s++) {
        h.processElement1(new StreamRecord<>(TestModels.audioChunk("cam-a", 6 + s, (6 + s) * 25L,
            Arrays.copyOfRange(features, s * 25, s * 25 + 25), 0)));
      }
      feedSeconds(h, "cam-b", 0, 6);
      assertThat(h.getSideOutput(SpanScorer.ALERTS)).extracting(r -> r.getValue().getStreamId())
          .containsExactly("cam-a", "cam-b");
    }
  }

  @Test
  void malformedRulesAreDeadLetteredAndLeaveTheOthersIntact() throws Exception {
    try (var h = harness(List.of())) {
      h.processElement2(new StreamRecord<>(rule("good", "beep", 0)));
      h.processElement2(new StreamRecord<>(AlertRule.newBuilder(rule("bad", "beep", 0)).setThreshold(7f).build()));
      feedSeconds(h, "cam", 0, 3);
      assertThat(h.getSideOutput(DeadLetters.TAG)).singleElement()
          .satisfies(r -> assertThat(r.getValue().getReason()).contains("threshold 7.0"));
      assertThat(h.getSideOutput(SpanScorer.ALERTS)).extracting(r -> r.getValue().getRuleId()).containsExactly("good");
    }
  }

  @Test
  void aGapClosesRunningSpansAtTheEndOfRealAudio() throws Exception {
    try (var h = harness(List.of(PromptSpec.parse("beep")))) {
      feedSeconds(h, "cam", 0, 2);
      EncodedChunk afterGap = TestModels.audioChunk("cam", 9, 9 * 25L, Arrays.copyOfRange(features, 125, 150), 0);
      afterGap.gapBefore = true;
      h.processElement1(new StreamRecord<>(afterGap));
      List<EventSpan> spans = h.extractOutputValues();
      assertThat(spans).extracting(EventSpan::getState).containsExactly(SpanState.OPEN, SpanState.CLOSED);
      assertThat(spans.get(1).getEndUs()).isEqualTo(2_000_000L);
    }
  }

  @Test
  void theEndOfInputClosesOpenSpans() throws Exception {
    try (var h = harness(List.of(PromptSpec.parse("beep")))) {
      feedSeconds(h, "cam", 0, 3);
      h.processBothWatermarks(new org.apache.flink.streaming.api.watermark.Watermark(Long.MAX_VALUE));
      assertThat(h.extractOutputValues()).extracting(EventSpan::getState).containsExactly(SpanState.OPEN, SpanState.CLOSED);
    }
  }
}
