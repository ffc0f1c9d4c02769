package dev.pestream.connectors.plm;

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

  private static RateLimiter.Slot sendNow(RateLimiter limiter) {
    RateLimiter.Slot slot = limiter.tryAcquire();
    if (slot != null) {
      slot.sent();
    }
    return slot;
  }

  @Test
  void allowsTheLimitThenTellsHowLongToWait() {
    AtomicLong now = new AtomicLong(0);
    RateLimiter limiter = new RateLimiter(3, Duration.ofSeconds(1), now::get);
    assertThat(sendNow(limiter)).isNotNull();
    now.set(100 * MS);
    assertThat(sendNow(limiter)).isNotNull();
    assertThat(sendNow(limiter)).isNotNull();
    assertThat(sendNow(limiter)).isNull();
    assertThat(limiter.waitNanos()).isEqualTo(900 * MS);
    now.set(999 * MS);
    assertThat(limiter.waitNanos()).isEqualTo(MS);
    now.set(1000 * MS);
    assertThat(sendNow(limiter)).isNotNull();
    // the two sent at 100 ms are the oldest now
    assertThat(limiter.waitNanos()).isEqualTo(100 * MS);
  }

  @Test
  void aRequestStillOnItsWayOutCountsUntilItHasLeft() {
    AtomicLong now = new AtomicLong(0);
    RateLimiter limiter = new RateLimiter(1, Duration.ofSeconds(1), now::get);
    RateLimiter.Slot slow = limiter.tryAcquire(); // e.g. still opening its connection
    now.set(2000 * MS);
    assertThat(limiter.tryAcquire()).isNull();
    assertThat(limiter.waitNanos()).isEqualTo(Long.MAX_VALUE);
    slow.sent(); // it leaves at 2 s and counts until 3 s
    slow.sent(); // idempotent
    assertThat(limiter.tryAcquire()).isNull();
    assertThat(limiter.waitNanos()).isEqualTo(1000 * MS);
    now.set(3000 * MS);
    assertThat(sendNow(limiter)).isNotNull();
  }

  @Test
  void neverMoreThanTheLimitLeaveWithinAPeriodWhateverTheArrivalsAndSendDelays() {
    Random random = new Random(7);
    AtomicLong now = new AtomicLong(0);
    RateLimiter limiter = new RateLimiter(4, Duration.ofMillis(1000), now::get);
    List<long[]> inFlight = new ArrayList<>(); // {due time, index}
    List<RateLimiter.Slot> slots = new ArrayList<>();
    List<Long> left = new ArrayList<>();
    long nextDemand = 0;
    while (left.size() < 400) {
      for (var it = inFlight.iterator(); it.hasNext(); ) {
        long[] f = it.next();
        if (f[0] <= now.get()) {
          slots.get((int) f[1]).sent();
          left.add(now.get());
          it.remove();
        }
      }
      if (now.get() >= nextDemand) {
        RateLimiter.Slot slot = limiter.tryAcquire();
        if (slot != null) {
          slots.add(slot);
          // most leave at once, some only after a slow connect
          long delay = random.nextInt(5) == 0 ? random.nextInt(400) * MS : random.nextInt(3) * MS;
          inFlight.add(new long[] {now.get() + delay, slots.size() - 1});
          nextDemand = now.get() + (random.nextInt(4) == 0 ? random.nextInt(900) * MS : 0);
        }
      }
      now.addAndGet(MS);
    }
    assertThat(maxWithin(left, 1000 * MS)).isEqualTo(4);
  }

  @Test
  void blockingCallersTogetherRespectTheLimit() throws Exception {
    RateLimiter limiter = new RateLimiter(5, Duration.ofMillis(200), System::nanoTime);
    List<Long> starts = Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 5; i++) {
          RateLimiter.Slot slot;
          try {
            slot = limiter.acquire();
          } catch (InterruptedException e) {
            return;
          }
          starts.add(System.nanoTime());
          slot.sent();
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join(10_000);
    }
    assertThat(starts).hasSize(30);
    assertThat(maxWithin(starts, 200 * MS)).isLessThanOrEqualTo(5);
  }

  @Test
  void perSecondLeavesAJitterMargin() {
    RateLimiter limiter = RateLimiter.perSecond(1);
    long before = System.nanoTime();
    sendNow(limiter);
    long wait = limiter.waitNanos();
    long elapsed = System.nanoTime() - before; // however long this thread was held up in between
    assertThat(wait).isGreaterThanOrEqualTo(Duration.ofSeconds(1).plus(RateLimiter.JITTER_MARGIN).toNanos() - elapsed);
    assertThatThrownBy(() -> new RateLimiter(0, Duration.ofSeconds(1), System::nanoTime))
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
