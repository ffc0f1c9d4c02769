package dev.pestream.connectors.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlobRetryPolicyTest {
  private static final BlobRetryPolicy POLICY = new BlobRetryPolicy(
      Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(5));

  /** Time that passes only when the loop sleeps. */
  static final class FakeClock implements BlobRetryPolicy.Clock {
    long now;
    final List<Long> sleeps = new ArrayList<>();

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleep(long nanos) {
      sleeps.add(nanos);
      now += nanos;
    }
  }

  private static final class Recorder implements BlobRetryPolicy.Listener {
    int retries;
    long waited;
    int exhausted;

    @Override
    public void retrying(BlobException failure, int retry, long pauseNanos) {
      retries++;
    }

    @Override
    public void waited(long waitedNanos) {
      waited += waitedNanos;
    }

    @Override
    public void exhausted(BlobException last) {
      exhausted++;
    }
  }

  private static BlobRetryPolicy.Attempt<String> failing(int times, BlobException.Kind kind) {
    int[] calls = {0};
    return () -> {
      if (calls[0]++ < times) {
        throw new BlobException(kind, "attempt " + calls[0], null);
      }
      return "bytes";
    };
  }

  @Test
  void transientFailuresAreRetriedUntilTheReadSucceeds() throws Exception {
    FakeClock clock = new FakeClock();
    Recorder listener = new Recorder();
    assertThat(POLICY.call(failing(4, BlobException.Kind.IO), clock, new Random(1), listener)).isEqualTo("bytes");
    assertThat(listener.retries).isEqualTo(4);
    assertThat(clock.sleeps).hasSize(4);
    assertThat(listener.waited).isEqualTo(clock.now);
    assertThat(listener.exhausted).isZero();
  }

  @Test
  void backoffDoublesUpToTheMaximumWithHalfOfItRandom() {
    Random random = new Random(7);
    long ms = 1_000_000;
    for (int retry = 1; retry <= 12; retry++) {
      long nominal = Math.min(100 * ms << (retry - 1), 5000 * ms);
      for (int i = 0; i < 50; i++) {
        assertThat(POLICY.backoffNanos(retry, random)).as("retry %d", retry).isBetween(nominal / 2, nominal);
      }
    }
    assertThat(POLICY.backoffNanos(Integer.MAX_VALUE, random)).isBetween(2500 * ms, 5000 * ms);
  }

  @Test
  void anOutagePastTheBudgetThrowsUnavailableAtTheDeadline() {
    FakeClock clock = new FakeClock();
    Recorder listener = new Recorder();
    assertThatThrownBy(() -> POLICY.call(failing(Integer.MAX_VALUE, BlobException.Kind.IO), clock, new Random(2),
        listener))
        .isInstanceOf(BlobUnavailableException.class)
        .isNotInstanceOf(BlobException.class)
        .hasCauseInstanceOf(BlobException.class)
        .hasMessageContaining("budget 60000 ms");
    assertThat(clock.now).isEqualTo(Duration.ofSeconds(60).toNanos()); // the last pause ends on the deadline
    assertThat(listener.exhausted).isEqualTo(1);
    assertThat(listener.retries).isEqualTo(clock.sleeps.size()).isBetween(12, 35);
  }

  @Test
  void aBlobMissingFromAReachableStoreIsAwaitedForTheGraceThenReported() {
    FakeClock clock = new FakeClock();
    Recorder listener = new Recorder();
    assertThatThrownBy(() -> POLICY.call(failing(Integer.MAX_VALUE, BlobException.Kind.NOT_FOUND), clock,
        new Random(3), listener))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.NOT_FOUND));
    assertThat(clock.now).isEqualTo(Duration.ofSeconds(30).toNanos());
    assertThat(listener.exhausted).isZero();
  }

  @Test
  void permanentFailuresAreNotRetried() {
    for (BlobException.Kind kind : BlobException.Kind.values()) {
      if (BlobRetryPolicy.isTransient(kind)) {
        continue;
      }
      FakeClock clock = new FakeClock();
      assertThatThrownBy(() -> POLICY.call(failing(1, kind), clock, new Random(4), new Recorder()))
          .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(kind));
      assertThat(clock.sleeps).as(kind.name()).isEmpty();
    }
  }

  @Test
  void aZeroTimeoutFailsAtTheFirstError() {
    BlobRetryPolicy none = new BlobRetryPolicy(Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(100),
        Duration.ofSeconds(1));
    FakeClock clock = new FakeClock();
    assertThatThrownBy(() -> none.call(failing(1, BlobException.Kind.IO), clock, new Random(5), new Recorder()))
        .isInstanceOf(BlobUnavailableException.class);
    assertThat(clock.sleeps).isEmpty();
  }

  @Test
  void refusesBackoffsThatCannotWork() {
    assertThatThrownBy(() -> new BlobRetryPolicy(Duration.ofSeconds(1), Duration.ZERO, Duration.ZERO,
        Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BlobRetryPolicy(Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(2),
        Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BlobRetryPolicy(Duration.ofSeconds(-1), Duration.ZERO, Duration.ofSeconds(1),
        Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
  }
}
