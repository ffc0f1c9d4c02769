package dev.pestream.connectors.plm;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Stops calling a server that keeps failing. CLOSED: requests go through; {@code threshold}
 * consecutive failures (5xx, timeouts, connection errors) open it. OPEN: nothing is sent for
 * {@code openDuration}; then HALF_OPEN: exactly one probe goes through — its success closes the
 * breaker, its failure opens it again. 429 and other 4xx answers prove the server is alive, so
 * they neither trip nor keep it open (a 429 probe just lets the next request probe). Thread-safe.
 */
public final class CircuitBreaker {
  public enum State {
    CLOSED(0),
    HALF_OPEN(1),
    OPEN(2);

    /** The value the breaker-state gauge reports. */
    public final int code;

    State(int code) {
      this.code = code;
    }
  }

  /** What a call made through the breaker came to. */
  public enum Result {
    /** The server answered (2xx, or a 4xx other than 429). */
    SUCCESS,
    /** 5xx, timeout, connection failure. */
    FAILURE,
    /** Neither: 429, or the call was abandoned. */
    NEUTRAL
  }

  private final int threshold;
  private final long openNanos;
  private final LongSupplier clock;

  private State state = State.CLOSED;
  private int consecutiveFailures;
  private long openedAt;
  private boolean probeInFlight;
  private long opened;

  public CircuitBreaker(int threshold, Duration openDuration, LongSupplier nanoClock) {
    if (threshold < 1 || openDuration.isZero() || openDuration.isNegative()) {
      throw new IllegalArgumentException("breaker needs threshold >= 1 and a positive open duration");
    }
    this.threshold = threshold;
    this.openNanos = openDuration.toNanos();
    this.clock = nanoClock;
  }

  /**
   * Asks to send one request: returns 0 when it may go (and, when half-open, it is the probe), or
   * how many nanoseconds to wait before asking again.
   */
  public synchronized long tryAcquire() {
    long now = clock.getAsLong();
    switch (state) {
      case CLOSED:
        return 0;
      case OPEN:
        long remaining = openedAt + openNanos - now;
        if (remaining > 0) {
          return remaining;
        }
        state = State.HALF_OPEN;
        probeInFlight = true;
        return 0;
      case HALF_OPEN:
      default:
        if (probeInFlight) {
          return Math.max(1, openNanos / 4);
        }
        probeInFlight = true;
        return 0;
    }
  }

  /** Reports how an acquired call ended. */
  public synchronized void record(Result result) {
    switch (result) {
      case SUCCESS -> {
        state = State.CLOSED;
        consecutiveFailures = 0;
        probeInFlight = false;
      }
      case FAILURE -> {
        consecutiveFailures++;
        if (state == State.HALF_OPEN || (state == State.CLOSED && consecutiveFailures >= threshold)) {
          open();
        }
      }
      case NEUTRAL -> {
        if (state == State.HALF_OPEN) {
          probeInFlight = false;
        }
      }
    }
  }

  private void open() {
    state = State.OPEN;
    openedAt = clock.getAsLong();
    probeInFlight = false;
    opened++;
  }

  public synchronized State state() {
    return state;
  }

  /** How many times the breaker has opened. */
  public synchronized long timesOpened() {
    return opened;
  }
}
