package dev.pestream.connectors.plm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.plm.CircuitBreaker.Result;
import dev.pestream.connectors.plm.CircuitBreaker.State;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(0);
  private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(10), now::get);

  private void call(Result result) {
    assertThat(breaker.tryAcquire()).isZero();
    breaker.record(result);
  }

  @Test
  void opensAfterConsecutiveFailuresAndSuccessResetsTheCount() {
    call(Result.FAILURE);
    call(Result.FAILURE);
    call(Result.SUCCESS);
    call(Result.FAILURE);
    call(Result.FAILURE);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    call(Result.FAILURE);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.timesOpened()).isEqualTo(1);
  }

  @Test
  void anOpenBreakerSendsNothingThenOneProbe() {
    for (int i = 0; i < 3; i++) {
      call(Result.FAILURE);
    }
    now.set(4 * SECOND);
    assertThat(breaker.tryAcquire()).isEqualTo(6 * SECOND);
    now.set(10 * SECOND);
    assertThat(breaker.tryAcquire()).isZero(); // the probe
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(breaker.tryAcquire()).isPositive(); // everyone else waits for it
    breaker.record(Result.SUCCESS);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.tryAcquire()).isZero();
  }

  @Test
  void aFailedProbeOpensItAgainForTheFullDuration() {
    for (int i = 0; i < 3; i++) {
      call(Result.FAILURE);
    }
    now.set(11 * SECOND);
    call(Result.FAILURE);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.tryAcquire()).isEqualTo(10 * SECOND);
    assertThat(breaker.timesOpened()).isEqualTo(2);
  }

  @Test
  void rateLimitingNeitherTripsNorClosesIt() {
    for (int i = 0; i < 10; i++) {
      call(Result.NEUTRAL);
    }
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    for (int i = 0; i < 3; i++) {
      call(Result.FAILURE);
    }
    now.set(10 * SECOND);
    call(Result.NEUTRAL); // a 429 probe: still half-open, the next request probes
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    call(Result.SUCCESS);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void theGaugeCodesAreStable() {
    assertThat(State.CLOSED.code).isZero();
    assertThat(State.HALF_OPEN.code).isEqualTo(1);
    assertThat(State.OPEN.code).isEqualTo(2);
  }
}
