package dev.pestream.connectors.plm;

import java.io.Serializable;
import java.time.Duration;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: before retry {@code n} (n = 1 after the first failure)
 * wait a uniformly random time in {@code [0, min(max, initial * 2^(n-1))]}, so that many callers
 * failing together do not come back together. A server's {@code Retry-After} is a floor: never
 * retry earlier than it asks.
 */
public record Backoff(Duration initial, Duration max) implements Serializable {
  public Backoff {
    if (initial.isZero() || initial.isNegative() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + ", " + max);
    }
  }

  /** The upper bound of the jittered wait before retry {@code n}. */
  public long capNanos(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry numbers start at 1");
    }
    int doublings = Math.min(retry - 1, 62);
    long initialNanos = initial.toNanos();
    long maxNanos = max.toNanos();
    if (doublings >= Long.numberOfLeadingZeros(initialNanos) - 1) {
      return maxNanos;
    }
    return Math.min(maxNanos, initialNanos << doublings);
  }

  /**
   * The wait before retry {@code n}.
   *
   * @param retryAfter what the server asked for, if anything
   * @param random uniform in [0, 1)
   */
  public Duration delay(int retry, Optional<Duration> retryAfter, DoubleSupplier random) {
    long jittered = (long) (random.getAsDouble() * (capNanos(retry) + 1));
    long floor = retryAfter.map(Duration::toNanos).orElse(0L);
    return Duration.ofNanos(Math.max(jittered, floor));
  }
}
