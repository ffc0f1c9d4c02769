package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class UniformSamplingTest {
  @Test
  void picksEvenlySpacedIndicesWithFirstAndLast() {
    assertThat(UniformSampling.indices(25, 4)).containsExactly(0, 8, 16, 24);
    assertThat(UniformSampling.indices(16, 16)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    assertThat(UniformSampling.indices(31, 16)).containsExactly(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    assertThat(UniformSampling.indices(30, 16)).containsExactly(0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29);
    assertThat(UniformSampling.indices(3, 4)).containsExactly(0, 0, 1, 2); // fewer frames than K: repeats
    assertThat(UniformSampling.indices(1, 16)).containsOnly(0).hasSize(16);
    assertThat(UniformSampling.indices(0, 16)).isEmpty();
    assertThatThrownBy(() -> UniformSampling.indices(10, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void matchesTheReferenceFormula() {
    // [int(i * (n - 1) / (k - 1)) for i in range(k)] (the reference's Python), and numpy's
    // linspace(0, n - 1, k).astype(int), both evaluated in Python for these (n, k).
    assertThat(UniformSampling.indices(100, 16)).containsExactly(0, 6, 13, 19, 26, 33, 39, 46, 52, 59, 66, 72, 79, 85, 92, 99);
    assertThat(UniformSampling.indices(48, 16)).containsExactly(0, 3, 6, 9, 12, 15, 18, 21, 25, 28, 31, 34, 37, 40, 43, 47);
  }

  @Test
  void windowsCoverTheirFramesOnTheGrid() {
    FrameRate fps = new FrameRate(30000, 1001);
    // Window 3 of W = 2 s, H = 1 s covers [3 s, 5 s): frames 90 (3.003 s) .. 149 (4.971 s).
    assertThat(UniformSampling.firstGridIndex(3, 2_000_000, 1_000_000, fps)).isEqualTo(90);
    assertThat(UniformSampling.endGridIndex(3, 2_000_000, 1_000_000, fps)).isEqualTo(150);
    long[] selected = UniformSampling.selectedGridIndices(3, 2_000_000, 1_000_000, 16, fps);
    assertThat(selected).hasSize(16).startsWith(90).endsWith(149);
  }

  @Test
  void isSelectedAgreesWithTheUnionOfWindowSelections() {
    Random random = new Random(3);
    FrameRate[] rates = {new FrameRate(25, 1), new FrameRate(30000, 1001), new FrameRate(24, 1), new FrameRate(60, 1), new FrameRate(5, 1)};
    for (int trial = 0; trial < 200; trial++) {
      FrameRate fps = rates[random.nextInt(rates.length)];
      long window = 200_000L + random.nextInt(4_000_000);
      long hop = 100_000L + random.nextInt((int) window);
      int k = 2 + random.nextInt(20);
      TreeSet<Long> union = new TreeSet<>();
      for (long w = 0; w < 40; w++) {
        for (long j : UniformSampling.selectedGridIndices(w, window, hop, k, fps)) {
          union.add(j);
        }
      }
      // Frames before the end of window 30 are only ever selected by windows < 40.
      long limit = UniformSampling.firstGridIndex(30, window, hop, fps);
      for (long j = 0; j < limit; j++) {
        assertThat(UniformSampling.isSelected(j, window, hop, k, fps))
            .as("frame %d, fps %s, W %d, H %d, K %d", j, fps, window, hop, k)
            .isEqualTo(union.contains(j));
      }
    }
  }
}
