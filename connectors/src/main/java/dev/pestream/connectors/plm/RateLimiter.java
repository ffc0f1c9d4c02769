package dev.pestream.connectors.plm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * At most {@code permits} requests within any {@code period}, counted by when each request has
 * left this client (its body handed to the connection), not by when it was admitted: what a
 * server's rate limit sees. A sliding-window log: a request is admitted only while fewer than
 * {@code permits} requests left within the last period or are still on their way out — an
 * admitted request whose connection is slow to open counts until it has left, so a slow first
 * request cannot land next to later ones at the server. Unlike a token bucket, a burst and a
 * refill never add up to more than the limit in one period. Thread-safe; waiters are served in
 * arrival order.
 */
public final class RateLimiter {
  /**
   * Extra time added to the one-second period of a requests-per-second limit, so that network and
   * scheduling jitter between a request leaving here and the server reading it cannot squeeze
   * more than the limit into one of the server's seconds.
   */
  public static final Duration JITTER_MARGIN = Duration.ofMillis(100);

  /** Longest single wait before re-checking (a request on its way out may leave any moment). */
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final int permits;
  private final long periodNanos;
  private final LongSupplier clock;
  private final List<Slot> recent = new ArrayList<>();
  private final ReentrantLock lock = new ReentrantLock(true);
  private final Condition changed = lock.newCondition();

  public RateLimiter(int permits, Duration period, LongSupplier nanoClock) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be >= 1");
    }
    if (period.isZero() || period.isNegative()) {
      throw new IllegalArgumentException("period must be positive");
    }
    this.permits = permits;
    this.periodNanos = period.toNanos();
    this.clock = nanoClock;
  }

  /** A limiter of {@code perSecond} requests per second (plus {@link #JITTER_MARGIN}), on the system clock. */
  public static RateLimiter perSecond(int perSecond) {
    return new RateLimiter(perSecond, Duration.ofSeconds(1).plus(JITTER_MARGIN), System::nanoTime);
  }

  /** One admitted request; call {@link #sent()} once it has left (or failed before leaving). */
  public final class Slot {
    private long sentAt;
    private boolean pending = true;

    private Slot() {}

    /** The request has left now: from here it counts for one period. Idempotent. */
    public void sent() {
      lock.lock();
      try {
        if (pending) {
          pending = false;
          sentAt = clock.getAsLong();
          changed.signalAll();
        }
      } finally {
        lock.unlock();
      }
    }
  }

  /** Admits a request now if the limit allows it (the caller must then call {@link Slot#sent()}); else null. */
  public Slot tryAcquire() {
    lock.lock();
    try {
      if (waitNanos() > 0) {
        return null;
      }
      Slot slot = new Slot();
      recent.add(slot);
      return slot;
    } finally {
      lock.unlock();
    }
  }

  /**
   * How long until a request may be admitted: 0 = now; {@link Long#MAX_VALUE} = when a request
   * still on its way out has left.
   */
  public long waitNanos() {
    lock.lock();
    try {
      long now = clock.getAsLong();
      long earliestExpiry = Long.MAX_VALUE;
      for (Iterator<Slot> it = recent.iterator(); it.hasNext(); ) {
        Slot s = it.next();
        if (!s.pending) {
          long expiry = s.sentAt + periodNanos;
          if (now - expiry >= 0) {
            it.remove();
            continue;
          }
          earliestExpiry = Math.min(earliestExpiry, expiry);
        }
      }
      if (recent.size() < permits) {
        return 0;
      }
      return earliestExpiry == Long.MAX_VALUE ? Long.MAX_VALUE : earliestExpiry - now;
    } finally {
      lock.unlock();
    }
  }

  /** Blocks until a request may go, then admits it. */
  public Slot acquire() throws InterruptedException {
    lock.lockInterruptibly();
    try {
      // Holding the (fair) lock between checks keeps the order of arrival among callers.
      while (true) {
        Slot slot = tryAcquire();
        if (slot != null) {
          return slot;
        }
        changed.await(Math.min(waitNanos(), RECHECK_NANOS), TimeUnit.NANOSECONDS);
      }
    } finally {
      lock.unlock();
    }
  }
}
