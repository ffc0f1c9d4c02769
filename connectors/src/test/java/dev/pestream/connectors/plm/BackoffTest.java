package dev.pestream.connectors.plm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void theCapDoublesPerRetryUpToTheMaximum() {
    assertThat(backoff.capNanos(1)).isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(backoff.capNanos(2)).isEqualTo(Duration.ofMillis(200).toNanos());
    assertThat(backoff.capNanos(5)).isEqualTo(Duration.ofMillis(1600).toNanos());
    assertThat(backoff.capNanos(6)).isEqualTo(Duration.ofSeconds(2).toNanos());
    assertThat(backoff.capNanos(1000)).isEqualTo(Duration.ofSeconds(2).toNanos());
  }

  @Test
  void fullJitterSpreadsWaitsOverZeroToTheCap() {
    Random random = new Random(1);
    long min = Long.MAX_VALUE;
    long max = 0;
    double sum = 0;
    int n = 10_000;
    for (int i = 0; i < n; i++) {
      long d = backoff.delay(3, Optional.empty(), random::nextDouble).toNanos();
      min = Math.min(min, d);
      max = Math.max(max, d);
      sum += d;
    }
    long cap = Duration.ofMillis(400).toNanos();
    assertThat(max).isLessThanOrEqualTo(cap);
    assertThat(min).isLessThan(cap / 50);
    assertThat(max).isGreaterThan(cap - cap / 50);
    assertThat(sum / n).isBetween(cap * 0.45, cap * 0.55);
    assertThat(backoff.delay(3, Optional.empty(), () -> 0.0)).isZero();
  }

  @Test
  void retryAfterIsAFloor() {
    assertThat(backoff.delay(1, Optional.of(Duration.ofSeconds(3)), () -> 0.5)).isEqualTo(Duration.ofSeconds(3));
    assertThat(backoff.delay(6, Optional.of(Duration.ofMillis(10)), () -> 0.5).toMillis()).isBetween(999L, 1001L);
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> backoff.capNanos(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
