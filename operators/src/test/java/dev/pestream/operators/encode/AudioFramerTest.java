package dev.pestream.operators.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AudioFramerTest {
  private static final int HOP = 1920;

  private static float[] ramp(long from, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (from + i) % 100_000;
    }
    return x;
  }

  /** Feeds the signal sample(i)=i in random-sized chunks and collects the emitted frames' samples. */
  private static List<CodecBlock> feed(AudioFramer framer, FramerState state, long start, int total, long seed) {
    Random random = new Random(seed);
    List<CodecBlock> blocks = new ArrayList<>();
    long at = start;
    while (at < start + total) {
      int n = (int) Math.min(random.nextInt(70_000) + 1, start + total - at);
      framer.push(state, at, ramp(at, n)).ifPresent(blocks::add);
      at += n;
    }
    framer.flush(state).ifPresent(blocks::add);
    return blocks;
  }

  @Test
  void framesFollowTheStreamClockGridWhateverTheChunking() {
    AudioFramer framer = new AudioFramer(HOP, 0);
    FramerState state = new FramerState();
    int total = 10 * 48_000 + 700;
    List<CodecBlock> blocks = feed(framer, state, 0, total, 1);

    long expectedFrame = 0;
    for (CodecBlock b : blocks) {
      assertThat(b.emitFrom()).isEqualTo(expectedFrame);
      assertThat(b.firstFrame()).isEqualTo(b.emitFrom());
      assertThat(b.samples().length).isEqualTo(b.emitCount() * HOP);
      for (int i = 0; i < b.samples().length; i++) {
        long sample = b.firstFrame() * HOP + i;
        if (sample < total) {
          assertThat(b.samples()[i]).isEqualTo(sample % 100_000);
        }
      }
      expectedFrame = b.emitTo();
    }
    assertThat(expectedFrame).isEqualTo((total + HOP - 1) / HOP);
    CodecBlock last = blocks.get(blocks.size() - 1);
    assertThat(last.realEndSample()).isEqualTo(total);
    // the padded tail mirrors the last real samples (numpy 'reflect')
    float[] tail = last.samples();
    int realInLast = total % HOP;
    int lastFrameStart = tail.length - HOP;
    assertThat(tail[lastFrameStart + realInLast]).isEqualTo(tail[lastFrameStart + realInLast - 2]);
  }

  @Test
  void aLastFrameMostlyPaddingIsReflectPaddedFromRealSamplesWithoutCodecContext() {
    AudioFramer framer = new AudioFramer(HOP, 0);
    FramerState state = new FramerState();
    int total = 10 * HOP + 700; // the padding (1220 samples) mirrors samples of the previous frame too
    List<CodecBlock> blocks = new ArrayList<>();
    framer.push(state, 0, ramp(0, total)).ifPresent(blocks::add);
    framer.flush(state).ifPresent(blocks::add);

    CodecBlock last = blocks.get(blocks.size() - 1);
    assertThat(last.emitTo()).isEqualTo(11);
    int lastFrameStart = last.samples().length - HOP;
    for (int i = total; i < 11 * HOP; i++) {
      assertThat(last.samples()[lastFrameStart + i - 10 * HOP]).as("padded sample %d", i).isEqualTo(2 * (total - 1) - i);
    }
  }

  @Test
  void aSegmentStartingInsideAFrameIsPrecededBySilence() {
    AudioFramer framer = new AudioFramer(HOP, 0);
    FramerState state = new FramerState();
    Optional<CodecBlock> block = framer.push(state, 5 * HOP + 1000, ramp(0, 3 * HOP));
    assertThat(block).isPresent();
    assertThat(block.get().emitFrom()).isEqualTo(5);
    assertThat(block.get().emitTo()).isEqualTo(8); // 1000 + 3 * 1920 samples fill frames 5..7
    float[] s = block.get().samples();
    assertThat(Arrays.copyOfRange(s, 0, 1000)).containsOnly(0f);
    assertThat(s[1000]).isEqualTo(0f);
    assertThat(s[1001]).isEqualTo(1f);
  }

  @Test
  void withCodecContextEveryCallCarriesNeighboursAndFramesAreEmittedOnce() {
    AudioFramer framer = new AudioFramer(HOP, 2);
    FramerState state = new FramerState();
    int total = 6 * 48_000;
    List<CodecBlock> blocks = feed(framer, state, 0, total, 3);
    long expected = 0;
    for (CodecBlock b : blocks) {
      assertThat(b.emitFrom()).isEqualTo(expected);
      assertThat(b.contextRowsBefore()).isEqualTo((int) Math.min(2, b.emitFrom()));
      long framesInCall = b.samples().length / HOP;
      long after = b.firstFrame() + framesInCall - b.emitTo();
      boolean lastCall = b == blocks.get(blocks.size() - 1);
      assertThat(after).isEqualTo(lastCall ? 0 : 2);
      for (int i = 0; i < b.samples().length; i++) {
        assertThat(b.samples()[i]).isEqualTo((b.firstFrame() * HOP + i) % 100_000);
      }
      expected = b.emitTo();
    }
    assertThat(expected).isEqualTo(total / HOP);
  }

  @Test
  void smallTimestampJitterIsAbsorbedAndAJumpNeedsAFlush() {
    AudioFramer framer = new AudioFramer(HOP, 0);
    FramerState state = new FramerState();
    framer.push(state, 0, ramp(0, 48_000));
    assertThat(framer.continues(state, 48_010)).isTrue();
    assertThat(framer.continues(state, 47_990)).isTrue();
    CodecBlock next = framer.push(state, 47_990, ramp(47_990, 48_000)).orElseThrow();
    // the 10 overlapping samples were dropped: the grid stays exact
    assertThat(next.samples()[0]).isEqualTo(48_000f % 100_000);
    assertThat(framer.continues(state, 200_000)).isFalse();
    assertThatThrownBy(() -> framer.push(state, 200_000, ramp(0, 10))).hasMessageContaining("flush first");
  }
}
