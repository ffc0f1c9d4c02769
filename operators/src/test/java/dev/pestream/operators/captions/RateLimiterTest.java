package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  private static final long MS = 1_000_000L;

  @Test
  void allowsTheLimitThenTellsHowLongToWait() {
    AtomicLong now = new AtomicLong(0);
    RateLimiter limiter = new RateLimiter(3, Duration.ofSeconds(1), now::get);
    assertThat(limiter.tryAcquire()).isZero();
    now.set(100 * MS);
    assertThat(limiter.tryAcquire()).isZero();
    assertThat(limiter.tryAcquire()).isZero();
    assertThat(limiter.tryAcquire()).isEqualTo(900 * MS);
    now.set(999 * MS);
    assertThat(limiter.tryAcquire()).isEqualTo(MS);
    now.set(1000 * MS);
    assertThat(limiter.tryAcquire()).isZero();
    // the two starts at 100 ms are the oldest now
    assertThat(limiter.tryAcquire()).isEqualTo(100 * MS);
  }

  @Test
  void neverMoreThanTheLimitInAnyWindowWhateverTheArrivals() {
    Random random = new Random(7);
    AtomicLong now = new AtomicLong(0);
    RateLimiter limiter = new RateLimiter(4, Duration.ofMillis(1000), now::get);
    List<Long> starts = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      now.addAndGet(random.nextInt(5) == 0 ? random.nextInt(800) * MS : random.nextInt(20) * MS);
      long wait;
      while ((wait = limiter.tryAcquire()) > 0) {
        now.addAndGet(wait);
      }
      starts.add(now.get());
    }
    assertThat(maxWithin(starts, 1000 * MS)).isEqualTo(4);
  }

  @Test
  void blockingCallersTogetherRespectTheLimit() throws Exception {
    RateLimiter limiter = new RateLimiter(5, Duration.ofMillis(200), System::nanoTime);
    List<Long> starts = Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 5; i++) {
          try {
            limiter.acquire();
          } catch (InterruptedException e) {
            return;
          }
          starts.add(System.nanoTime());
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join(10_000);
    }
    assertThat(starts).hasSize(30);
    // The limiter records a start before the caller reads the clock: allow that scheduling slack.
    assertThat(maxWithin(starts, 190 * MS)).isLessThanOrEqualTo(5);
  }

  @Test
  void perSecondLeavesAJitterMargin() {
    AtomicLong now = new AtomicLong(0);
    RateLimiter limiter = new RateLimiter(1, Duration.ofSeconds(1).plus(RateLimiter.JITTER_MARGIN), now::get);
    limiter.tryAcquire();
    assertThat(limiter.tryAcquire()).isEqualTo(Duration.ofSeconds(1).plus(RateLimiter.JITTER_MARGIN).toNanos());
    assertThatThrownBy(() -> new RateLimiter(0, Duration.ofSeconds(1), now::get))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static int maxWithin(List<Long> times, long windowNanos) {
    List<Long> sorted = new ArrayList<>(times);
    Collections.sort(sorted);
    int best = 0;
    int from = 0;
    for (int to = 0; to < sorted.size(); to++) {
      while (sorted.get(to) - sorted.get(from) >= windowNanos) {
        from++;
      }
      best = Math.max(best, to - from + 1);
    }
    return best;
  }
}
