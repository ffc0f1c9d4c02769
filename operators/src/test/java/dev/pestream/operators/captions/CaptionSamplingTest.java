package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CaptionSamplingTest {
  private static final long S = 1_000_000L;

  @Test
  void keepsTheEarliestFrameOfEachSecond() {
    // 25 fps for 3 seconds starting at 0.5 s
    long[] pts = new long[75];
    for (int i = 0; i < pts.length; i++) {
      pts[i] = S / 2 + i * 40_000L;
    }
    int[] kept = CaptionSampling.onePerInterval(pts, S);
    assertThat(kept).containsExactly(0, 13, 38, 63);
    assertThat(pts[13]).isEqualTo(S + 20_000);
  }

  @Test
  void uniformPicksKEvenlySpreadIncludingFirstAndLast() {
    assertThat(CaptionSampling.uniform(5, 32)).containsExactly(0, 1, 2, 3, 4);
    assertThat(CaptionSampling.uniform(9, 3)).containsExactly(0, 4, 8);
    assertThat(CaptionSampling.uniform(10, 4)).containsExactly(0, 3, 6, 9);
    assertThat(CaptionSampling.uniform(7, 1)).containsExactly(0);
    int[] picks = CaptionSampling.uniform(60, 32);
    assertThat(picks).hasSize(32).startsWith(0).endsWith(59).doesNotHaveDuplicates().isSorted();
    for (int i = 1; i < picks.length; i++) {
      assertThat(picks[i] - picks[i - 1]).isBetween(1, 2);
    }
  }

  @Test
  void aMinuteAtThirtyFpsBecomesThirtyTwoFramesOnePerSecond() {
    long[] pts = new long[60 * 30];
    for (int i = 0; i < pts.length; i++) {
      pts[i] = i * S / 30;
    }
    int[] selected = CaptionSampling.select(pts, S, 32);
    assertThat(selected).hasSize(32);
    assertThat(pts[selected[0]]).isZero();
    assertThat(pts[selected[31]]).isEqualTo(59 * S);
    for (int i : selected) {
      assertThat(pts[i] % S).isZero(); // the first frame of its second
    }
    assertThat(CaptionSampling.select(new long[] {0, S / 2, S}, S, 32)).containsExactly(0, 2);
  }

  @Test
  void rejectsUnorderedFrames() {
    assertThatThrownBy(() -> CaptionSampling.onePerInterval(new long[] {2, 1}, S))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(CaptionSampling.slotOf(-1, S)).isEqualTo(-1);
  }
}
