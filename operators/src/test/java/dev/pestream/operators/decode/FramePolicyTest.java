package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class FramePolicyTest {
  private static final FrameRate FPS25 = new FrameRate(25, 1);

  private static long[] kept(FramePolicy policy, FrameRate rate, int frames) {
    return LongStream.range(0, frames).filter(j -> policy.keeps(j, rate)).toArray();
  }

  @Test
  void parsesTheThreePolicies() {
    assertThat(FramePolicy.parse("native", 0, 0)).isEqualTo(new FramePolicy.Native());
    assertThat(FramePolicy.parse(" FPS:2 ", 0, 0)).isEqualTo(new FramePolicy.Fps(new FrameRate(2, 1)));
    assertThat(FramePolicy.parse("fps:29.97", 0, 0)).isEqualTo(new FramePolicy.Fps(new FrameRate(2997, 100)));
    assertThat(FramePolicy.parse("uniform:16", 2_000_000, 1_000_000))
        .isEqualTo(new FramePolicy.Uniform(16, 2_000_000, 1_000_000));
    assertThat(FramePolicy.parse("uniform:16", 2_000_000, 1_000_000).spec()).isEqualTo("uniform:16");
    for (String bad : new String[] {"", "all", "fps:", "fps:0", "fps:-1", "uniform:1", "uniform:x"}) {
      assertThatThrownBy(() -> FramePolicy.parse(bad, 1_000_000, 1_000_000)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> FramePolicy.parse("uniform:16", 0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nativeKeepsEverything() {
    assertThat(kept(new FramePolicy.Native(), FPS25, 10)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(new FramePolicy.Native().needsFrameRate()).isFalse();
  }

  @Test
  void fpsKeepsTheFirstFrameOfEachSlot() {
    assertThat(kept(FramePolicy.parse("fps:5", 0, 0), FPS25, 25)).containsExactly(0, 5, 10, 15, 20);
    assertThat(kept(FramePolicy.parse("fps:1", 0, 0), new FrameRate(30000, 1001), 95)).containsExactly(0, 30, 60, 90);
    assertThat(kept(FramePolicy.parse("fps:10", 0, 0), FPS25, 10)).containsExactly(0, 3, 5, 8);
    assertThat(kept(FramePolicy.parse("fps:50", 0, 0), FPS25, 5)).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void uniformKeepsWhatSomeWindowSelects() {
    FramePolicy.Uniform uniform = (FramePolicy.Uniform) FramePolicy.parse("uniform:4", 1_000_000, 500_000);
    assertThat(uniform.selectedGridIndices(0, FPS25)).containsExactly(0, 8, 16, 24);
    assertThat(uniform.selectedGridIndices(1, FPS25)).containsExactly(13, 21, 29, 37);
    assertThat(uniform.selectedGridIndices(2, FPS25)).containsExactly(25, 33, 41, 49);
    assertThat(kept(uniform, FPS25, 50)).containsExactly(0, 8, 13, 16, 21, 24, 25, 29, 33, 37, 38, 41, 46, 49);
  }
}
