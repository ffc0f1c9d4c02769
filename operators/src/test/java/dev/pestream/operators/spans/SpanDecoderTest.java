package dev.pestream.operators.spans;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpanDecoderTest {
  private static final long FRAME_US = 40_000;

  /** Spans as [startFrame, endFrameExclusive) pairs from feeding probabilities from frame 0. */
  private static List<SpanEvent> decode(SpanRule rule, float[] probs, long realEndUs) {
    SpanDecoder decoder = new SpanDecoder(rule, FRAME_US);
    SpanTrack track = new SpanTrack();
    List<SpanEvent> events = new ArrayList<>();
    for (int f = 0; f < probs.length; f++) {
      decoder.advance(track, f, probs[f], 1000 + f, events::add);
    }
    decoder.finish(track, realEndUs, events::add);
    return events;
  }

  private static List<long[]> closed(List<SpanEvent> events) {
    List<long[]> spans = new ArrayList<>();
    for (SpanEvent e : events) {
      if (!e.open()) {
        spans.add(new long[] {e.startFrame(), e.endFrameExclusive()});
      }
    }
    return spans;
  }

  /** The reference rule written the obvious batch way, to compare against. */
  private static List<long[]> referenceRuns(float[] probs, float threshold) {
    List<long[]> runs = new ArrayList<>();
    int start = -1;
    for (int f = 0; f <= probs.length; f++) {
      boolean above = f < probs.length && probs[f] > threshold;
      if (above && start < 0) {
        start = f;
      } else if (!above && start >= 0) {
        runs.add(new long[] {start, f});
        start = -1;
      }
    }
    return runs;
  }

  @Test
  void referenceRuleEqualsMaximalRunsOnRandomScores() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      float[] probs = new float[random.nextInt(300) + 1];
      float level = random.nextFloat();
      for (int i = 0; i < probs.length; i++) {
        if (random.nextInt(10) == 0) {
          level = random.nextFloat();
        }
        probs[i] = Math.min(1f, Math.max(0f, level + (random.nextFloat() - 0.5f) * 0.2f));
      }
      List<SpanEvent> events = decode(SpanRule.reference(0.3f), probs, probs.length * FRAME_US);
      assertThat(closed(events)).containsExactlyElementsOf(referenceRuns(probs, 0.3f));
      // every span is announced once when it opens, before it closes
      long opens = events.stream().filter(SpanEvent::open).count();
      assertThat(opens).isEqualTo(closed(events).size());
    }
  }

  @Test
  void opensAtTheFirstFrameAboveAndReportsPeakAndMeanOnClose() {
    float[] probs = {0.1f, 0.5f, 0.9f, 0.7f, 0.2f, 0.1f};
    List<SpanEvent> events = decode(SpanRule.reference(0.3f), probs, 6 * FRAME_US);
    assertThat(events).hasSize(2);
    SpanEvent open = events.get(0);
    assertThat(open.open()).isTrue();
    assertThat(open.startFrame()).isEqualTo(1);
    assertThat(open.startUs(FRAME_US)).isEqualTo(40_000);
    assertThat(open.peak()).isEqualTo(0.5f);
    assertThat(open.startIngestTimeMs()).isEqualTo(1001);
    SpanEvent close = events.get(1);
    assertThat(close.endFrameExclusive()).isEqualTo(4);
    assertThat(close.endUs()).isEqualTo(160_000);
    assertThat(close.peak()).isEqualTo(0.9f);
    assertThat(close.mean()).isCloseTo((0.5f + 0.9f + 0.7f) / 3, org.assertj.core.data.Offset.offset(1e-6f));
  }

  @Test
  void spanRunningAtTheEndIsClippedToTheRealDuration() {
    float[] probs = {0.1f, 0.8f, 0.8f};
    // the stream really ended 10 ms into the last (padded) frame
    List<SpanEvent> events = decode(SpanRule.reference(0.3f), probs, 2 * FRAME_US + 10_000);
    assertThat(events.get(1).endFrameExclusive()).isEqualTo(3);
    assertThat(events.get(1).endUs()).isEqualTo(90_000);
  }

  @Test
  void aHoleInTheFramesClosesTheSpanInsteadOfBridgingIt() {
    SpanDecoder decoder = new SpanDecoder(SpanRule.reference(0.3f), FRAME_US);
    SpanTrack track = new SpanTrack();
    List<SpanEvent> events = new ArrayList<>();
    decoder.advance(track, 10, 0.9f, 0, events::add);
    decoder.advance(track, 11, 0.9f, 0, events::add);
    decoder.advance(track, 50, 0.9f, 0, events::add); // frames 12..49 missing
    decoder.finish(track, 51 * FRAME_US, events::add);
    assertThat(closed(events)).containsExactly(new long[] {10, 12}, new long[] {50, 51});
  }

  @Test
  void hysteresisKeepsASpanOpenBetweenTheThresholds() {
    float[] probs = {0.2f, 0.7f, 0.45f, 0.45f, 0.7f, 0.3f};
    assertThat(closed(decode(SpanRule.reference(0.5f), probs, Long.MAX_VALUE)))
        .containsExactly(new long[] {1, 2}, new long[] {4, 5});
    assertThat(closed(decode(new SpanRule(0.5f, 0.4f, 1, 0), probs, Long.MAX_VALUE)))
        .containsExactly(new long[] {1, 5});
  }

  @Test
  void minimumDurationDropsShortSpansSilently() {
    float[] probs = {0.9f, 0.1f, 0.9f, 0.9f, 0.9f, 0.1f};
    List<SpanEvent> events = decode(new SpanRule(0.5f, 0.5f, 3, 0), probs, Long.MAX_VALUE);
    assertThat(events).hasSize(2);
    assertThat(events.get(0).open()).isTrue();
    assertThat(events.get(0).startFrame()).isEqualTo(2);
    assertThat(closed(events)).containsExactly(new long[] {2, 5});
  }

  @Test
  void gapsUpToTheMergeLengthAreBridgedAndCountInTheMean() {
    float[] probs = {0.9f, 0.1f, 0.1f, 0.9f, 0.1f, 0.1f, 0.1f, 0.9f};
    List<SpanEvent> events = decode(new SpanRule(0.5f, 0.5f, 1, 2), probs, Long.MAX_VALUE);
    assertThat(closed(events)).containsExactly(new long[] {0, 4}, new long[] {7, 8});
    assertThat(events.get(1).mean()).isCloseTo((0.9f + 0.1f + 0.1f + 0.9f) / 4, org.assertj.core.data.Offset.offset(1e-6f));
  }

  @Test
  void rejectsInconsistentRules() {
    assertThatThrownBy(() -> new SpanRule(0.3f, 0.4f, 1, 0)).hasMessageContaining("offThreshold");
    assertThatThrownBy(() -> new SpanRule(0.3f, 0.3f, 0, 0)).hasMessageContaining("minFrames");
  }
}
