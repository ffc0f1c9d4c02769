package dev.pestream.connectors.plm;

import static dev.pestream.connectors.plm.SettingChecks.positive;
import static dev.pestream.connectors.plm.SettingChecks.range;

import java.io.Serializable;
import java.time.Duration;

/**
 * How the PLM server is treated: how much is asked of it at once, how long a call may take, how
 * failures are retried and when the {@link CircuitBreaker} stops calling it. Validated on
 * construction; {@link #builder()} starts from defaults suited to PLM on one GPU.
 *
 * @param maxConcurrentRequests requests in flight to the server at once, per task manager JVM
 * @param requestsPerSecond requests started per second, per task manager JVM (at most this many in any second)
 * @param requestTimeout time limit of one HTTP attempt (PLM on a busy GPU can take tens of seconds)
 * @param captionTimeout overall time for one call, waits and retries included
 * @param maxAttempts HTTP attempts per call (1 = no retries)
 * @param breakerFailureThreshold consecutive failed attempts (5xx, timeouts, connection errors) that open the breaker
 * @param breakerOpenDuration how long an open breaker sends nothing before one probe request
 * @param asyncCapacity calls one caller keeps in flight (a caption subtask's Flink Async I/O capacity)
 */
public record PlmCallPolicy(int maxConcurrentRequests, int requestsPerSecond, Duration requestTimeout,
    Duration captionTimeout, int maxAttempts, Duration initialBackoff, Duration maxBackoff, int breakerFailureThreshold,
    Duration breakerOpenDuration, int asyncCapacity) implements Serializable {
  public PlmCallPolicy {
    range(maxConcurrentRequests, 1, 1024, "max concurrent requests");
    range(requestsPerSecond, 1, 100_000, "requests per second");
    positive(requestTimeout, "request timeout");
    positive(captionTimeout, "caption timeout");
    if (captionTimeout.compareTo(requestTimeout) < 0) {
      throw new IllegalArgumentException("the caption timeout (" + captionTimeout
          + ") must be at least the request timeout (" + requestTimeout + ")");
    }
    range(maxAttempts, 1, 100, "max attempts");
    positive(initialBackoff, "initial backoff");
    if (maxBackoff == null || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("max backoff must be at least the initial backoff");
    }
    range(breakerFailureThreshold, 1, 10_000, "breaker failure threshold");
    positive(breakerOpenDuration, "breaker open duration");
    range(asyncCapacity, 1, 10_000, "async capacity");
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().maxConcurrentRequests(maxConcurrentRequests).requestsPerSecond(requestsPerSecond)
        .requestTimeout(requestTimeout).captionTimeout(captionTimeout).maxAttempts(maxAttempts)
        .initialBackoff(initialBackoff).maxBackoff(maxBackoff).breakerFailureThreshold(breakerFailureThreshold)
        .breakerOpenDuration(breakerOpenDuration).asyncCapacity(asyncCapacity);
  }

  /** Builds a {@link PlmCallPolicy}; see its components for what each value means. */
  public static final class Builder {
    private int maxConcurrentRequests = 2;
    private int requestsPerSecond = 2;
    private Duration requestTimeout = Duration.ofSeconds(120);
    private Duration captionTimeout = Duration.ofMinutes(10);
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(500);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private int breakerFailureThreshold = 5;
    private Duration breakerOpenDuration = Duration.ofSeconds(30);
    private int asyncCapacity = 16;

    private Builder() {}

    public Builder maxConcurrentRequests(int n) {
      this.maxConcurrentRequests = n;
      return this;
    }

    public Builder requestsPerSecond(int n) {
      this.requestsPerSecond = n;
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    public Builder captionTimeout(Duration timeout) {
      this.captionTimeout = timeout;
      return this;
    }

    public Builder maxAttempts(int attempts) {
      this.maxAttempts = attempts;
      return this;
    }

    public Builder initialBackoff(Duration backoff) {
      this.initialBackoff = backoff;
      return this;
    }

    public Builder maxBackoff(Duration backoff) {
      this.maxBackoff = backoff;
      return this;
    }

    public Builder breakerFailureThreshold(int failures) {
      this.breakerFailureThreshold = failures;
      return this;
    }

    public Builder breakerOpenDuration(Duration duration) {
      this.breakerOpenDuration = duration;
      return this;
    }

    public Builder asyncCapacity(int capacity) {
      this.asyncCapacity = capacity;
      return this;
    }

    public PlmCallPolicy build() {
      return new PlmCallPolicy(maxConcurrentRequests, requestsPerSecond, requestTimeout, captionTimeout, maxAttempts,
          initialBackoff, maxBackoff, breakerFailureThreshold, breakerOpenDuration, asyncCapacity);
    }
  }
}
