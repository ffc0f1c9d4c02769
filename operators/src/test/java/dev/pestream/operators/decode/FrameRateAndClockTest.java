package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FrameRateAndClockTest {
  @Test
  void audioClockPlacesSamplesByRoundedIndex() {
    assertThat(AudioClock.sampleIndexOf(0)).isZero();
    assertThat(AudioClock.sampleIndexOf(1_000_000)).isEqualTo(48_000);
    assertThat(AudioClock.sampleIndexOf(40_000)).isEqualTo(1920); // one 40 ms audio frame
    assertThat(AudioClock.sampleIndexOf(10)).isZero(); // 0.48 samples
    assertThat(AudioClock.sampleIndexOf(11)).isEqualTo(1); // 0.528 samples
    assertThat(AudioClock.sampleIndexOf(-11)).isEqualTo(-1);
    assertThat(AudioClock.timeUsOf(48_000)).isEqualTo(1_000_000);
    assertThat(AudioClock.timeUsOf(1)).isEqualTo(21); // 20.83 us
    for (long us = 0; us < 100_000; us += 7) {
      assertThat(Math.abs(AudioClock.timeUsOf(AudioClock.sampleIndexOf(us)) - us)).isLessThanOrEqualTo(11);
    }
  }

  @Test
  void frameRatesAreExactFractions() {
    assertThat(FrameRate.parse("30000/1001")).isEqualTo(new FrameRate(30000, 1001));
    assertThat(FrameRate.parse("50/2")).isEqualTo(new FrameRate(25, 1));
    assertThat(FrameRate.parse("29.97")).isEqualTo(new FrameRate(2997, 100));
    assertThat(FrameRate.parse("25").fps()).isEqualTo(25.0);
    assertThat(FrameRate.UNKNOWN.isKnown()).isFalse();
    assertThatThrownBy(() -> FrameRate.parse("abc")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FrameRate.parse("0")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FrameRate.UNKNOWN.gridIndexOf(0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void gridIndicesRoundToTheNearestNominalFrame() {
    FrameRate ntsc = new FrameRate(30000, 1001);
    for (long j = 0; j < 5000; j++) {
      long t = ntsc.timeUsOf(j);
      assertThat(ntsc.gridIndexOf(t)).isEqualTo(j);
      assertThat(ntsc.gridIndexOf(t + 16_000)).isEqualTo(j); // jitter under half a frame
      // t is frame j's time rounded down, so frame j is the first at or after it.
      assertThat(ntsc.firstGridIndexAtOrAfter(t)).isEqualTo(j);
      assertThat(ntsc.firstGridIndexAtOrAfter(t + 1)).isEqualTo(j + 1);
    }
    FrameRate pal = new FrameRate(25, 1);
    assertThat(pal.gridIndexOf(1_000_000)).isEqualTo(25);
    assertThat(pal.gridIndexOf(1_019_999)).isEqualTo(25);
    assertThat(pal.gridIndexOf(1_020_000)).isEqualTo(26);
    assertThat(pal.firstGridIndexAtOrAfter(1_000_000)).isEqualTo(25);
    assertThat(pal.firstGridIndexAtOrAfter(1_000_001)).isEqualTo(26);
  }
}
