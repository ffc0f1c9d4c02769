package dev.pestream.operators.captions;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * At most {@code permits} request starts within any {@code period} (a sliding-window log of the
 * last {@code permits} start times). Unlike a token bucket, this never lets a burst and a refill
 * add up to more than the limit inside one period, which is what a server's rate limit counts.
 * Thread-safe; waiters are served in arrival order.
 */
public final class RateLimiter {
  /**
   * Extra time added to the one-second period of a requests-per-second limit, so that network and
   * scheduling jitter between our send and the server's receipt cannot squeeze more than the
   * limit into one of the server's seconds.
   */
  public static final Duration JITTER_MARGIN = Duration.ofMillis(100);

  private final long periodNanos;
  private final LongSupplier clock;
  private final long[] starts;
  private int oldest;
  private long recorded;
  private final ReentrantLock lock = new ReentrantLock(true);
  private final Condition never = lock.newCondition();

  public RateLimiter(int permits, Duration period, LongSupplier nanoClock) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be >= 1");
    }
    if (period.isZero() || period.isNegative()) {
      throw new IllegalArgumentException("period must be positive");
    }
    this.periodNanos = period.toNanos();
    this.clock = nanoClock;
    this.starts = new long[permits];
  }

  /** A limiter of {@code perSecond} starts per second (plus {@link #JITTER_MARGIN}), on the system clock. */
  public static RateLimiter perSecond(int perSecond) {
    return new RateLimiter(perSecond, Duration.ofSeconds(1).plus(JITTER_MARGIN), System::nanoTime);
  }

  /**
   * Records a start now if the limit allows it and returns 0; otherwise records nothing and
   * returns how many nanoseconds until a start is allowed.
   */
  public long tryAcquire() {
    lock.lock();
    try {
      long now = clock.getAsLong();
      if (recorded >= starts.length) {
        long allowedAt = starts[oldest] + periodNanos;
        if (now - allowedAt < 0) {
          return allowedAt - now;
        }
      }
      starts[oldest] = now;
      oldest = (oldest + 1) % starts.length;
      recorded++;
      return 0;
    } finally {
      lock.unlock();
    }
  }

  /** Blocks until a start is allowed, then records it. */
  public void acquire() throws InterruptedException {
    lock.lockInterruptibly();
    try {
      // Holding the (fair) lock while waiting keeps the order of arrival among callers.
      for (long wait = tryAcquire(); wait > 0; wait = tryAcquire()) {
        never.await(wait, TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }
}
