package dev.pestream.operators.common;

import java.io.Serializable;
import java.time.Duration;
import org.apache.flink.streaming.api.TimerService;

/**
 * When a stream's open state (windows, spans, caption windows) must be closed without more data:
 * at the end of a bounded input, when the final watermark fires an event-time timer at {@code
 * Long.MAX_VALUE}, or when the stream has been idle (no chunk for {@code idleTimeout} of
 * processing time). Shared by the keyed operators that hold per-stream segments.
 */
public final class StreamEnd implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long idleTimeoutMs;

  /** @param idleTimeout {@link Duration#ZERO} closes streams only at the end of the input */
  public StreamEnd(Duration idleTimeout) {
    if (idleTimeout.isNegative()) {
      throw new IllegalArgumentException("idle timeout must not be negative");
    }
    this.idleTimeoutMs = idleTimeout.toMillis();
  }

  /** Call on a stream's first chunk: arms the end-of-input timer. */
  public void onFirstChunk(TimerService timers) {
    timers.registerEventTimeTimer(Long.MAX_VALUE);
  }

  /** Call on every chunk; returns its processing-time arrival, which the caller keeps in state. */
  public long onChunk(TimerService timers) {
    long now = timers.currentProcessingTime();
    if (idleTimeoutMs > 0) {
      timers.registerProcessingTimeTimer(now + idleTimeoutMs);
    }
    return now;
  }

  /** Whether a timer firing at {@code timestamp} ends the stream whose last chunk came at {@code lastArrivalMs}. */
  public boolean ends(long timestamp, long lastArrivalMs) {
    return timestamp == Long.MAX_VALUE || (idleTimeoutMs > 0 && timestamp >= lastArrivalMs + idleTimeoutMs);
  }
}
