package dev.pestream.connectors.blob;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How a claim-check read rides out a blob store hiccup (an S3 or NFS outage, a blob not yet
 * visible on a store without read-after-write consistency). Transient failures are retried with
 * exponential backoff and jitter:
 *
 * <ul>
 *   <li>{@link BlobException.Kind#IO} (the store failed or its root is not reachable) for up to
 *       {@code timeout}; past it the read throws {@link BlobUnavailableException}, which the caller
 *       lets fail the task: Flink restores the last checkpoint and reads the chunk again, so nothing
 *       is lost and nothing is dead-lettered for an outage.
 *   <li>{@link BlobException.Kind#NOT_FOUND} (the store answers, the blob is not there) for up to
 *       {@code notFoundGrace} (never beyond {@code timeout}); past it the blob is taken to be gone
 *       and the {@code NOT_FOUND} is rethrown to be dead-lettered, since restarting cannot bring it
 *       back and would only loop.
 * </ul>
 *
 * Every other kind (hash or length mismatch, outside the root, too large) is permanent and
 * rethrown at once. The clock, sleeper and randomness are parameters so tests run without waiting.
 */
public final class BlobRetryPolicy implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_NOT_FOUND_GRACE = Duration.ofSeconds(30);
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);

  private final long timeoutNanos;
  private final long notFoundGraceNanos;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;

  /** One read of a blob. */
  @FunctionalInterface
  public interface Attempt<T> {
    T run() throws BlobException;
  }

  /** Time as the retry loop sees it. */
  public interface Clock extends Serializable {
    long nanoTime();

    void sleep(long nanos) throws InterruptedException;

    /** {@link System#nanoTime()} and {@link Thread#sleep}. */
    static Clock system() {
      return SystemClock.INSTANCE;
    }
  }

  private enum SystemClock implements Clock {
    INSTANCE;

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(long nanos) throws InterruptedException {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }
  }

  /** What the loop reports, for metrics and logs. */
  public interface Listener {
    /** A transient failure; the next attempt comes after {@code pauseNanos}. */
    void retrying(BlobException failure, int retry, long pauseNanos);

    /** The read succeeded or gave up after waiting {@code waitedNanos} in all (only called when it waited). */
    default void waited(long waitedNanos) {}

    /** The store failed for the whole budget; the read throws {@link BlobUnavailableException}. */
    default void exhausted(BlobException last) {}
  }

  public BlobRetryPolicy(Duration timeout, Duration notFoundGrace, Duration initialBackoff, Duration maxBackoff) {
    this.timeoutNanos = nonNegative(timeout, "retry timeout");
    this.notFoundGraceNanos = nonNegative(notFoundGrace, "not-found grace");
    this.initialBackoffNanos = nonNegative(initialBackoff, "initial backoff");
    this.maxBackoffNanos = nonNegative(maxBackoff, "max backoff");
    if (initialBackoffNanos == 0 || maxBackoffNanos < initialBackoffNanos) {
      throw new IllegalArgumentException(
          "backoff must satisfy 0 < initial <= max, got " + initialBackoff + " and " + maxBackoff);
    }
  }

  public static BlobRetryPolicy defaults() {
    return new BlobRetryPolicy(DEFAULT_TIMEOUT, DEFAULT_NOT_FOUND_GRACE, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF);
  }

  public Duration timeout() {
    return Duration.ofNanos(timeoutNanos);
  }

  public Duration notFoundGrace() {
    return Duration.ofNanos(notFoundGraceNanos);
  }

  /** Whether a failure of this kind may clear by itself. */
  public static boolean isTransient(BlobException.Kind kind) {
    return kind == BlobException.Kind.IO || kind == BlobException.Kind.NOT_FOUND;
  }

  /** How long a read keeps retrying a failure of {@code kind} (zero for permanent kinds). */
  public Duration budgetFor(BlobException.Kind kind) {
    return Duration.ofNanos(budgetNanos(kind));
  }

  private long budgetNanos(BlobException.Kind kind) {
    return switch (kind) {
      case IO -> timeoutNanos;
      case NOT_FOUND -> Math.min(notFoundGraceNanos, timeoutNanos);
      default -> 0;
    };
  }

  /**
   * The pause before retry {@code retry} (1-based): {@code initial * 2^(retry-1)}, capped at the
   * maximum, of which half is fixed and half random ("equal jitter"), so that the subtasks that
   * all hit the same outage do not hammer the store in step when it comes back.
   */
  public long backoffNanos(int retry, RandomGenerator random) {
    long capped = initialBackoffNanos;
    for (int i = 1; i < retry && capped < maxBackoffNanos; i++) {
      capped = capped > maxBackoffNanos / 2 ? maxBackoffNanos : capped * 2;
    }
    long half = capped / 2;
    return capped - half + (half == 0 ? 0 : random.nextLong(half + 1));
  }

  /**
   * Runs {@code attempt} until it succeeds, fails permanently, or the budget of its failure kind
   * is spent (see the class comment). The budget counts from the first attempt.
   */
  public <T> T call(Attempt<T> attempt, Clock clock, RandomGenerator random, Listener listener)
      throws BlobException, BlobUnavailableException, InterruptedException {
    Objects.requireNonNull(listener, "listener");
    long start = clock.nanoTime();
    long waited = 0;
    for (int retry = 1; ; retry++) {
      try {
        T result = attempt.run();
        if (waited > 0) {
          listener.waited(waited);
        }
        return result;
      } catch (BlobException e) {
        if (!isTransient(e.kind())) {
          throw e;
        }
        boolean notFound = e.kind() == BlobException.Kind.NOT_FOUND;
        long budget = budgetNanos(e.kind());
        long elapsed = clock.nanoTime() - start;
        if (elapsed >= budget) {
          if (waited > 0) {
            listener.waited(waited);
          }
          if (notFound) {
            throw e; // the store answers and the blob stays missing: gone, not late
          }
          listener.exhausted(e);
          throw new BlobUnavailableException(String.format(
              "blob store still failing after %d ms and %d attempts (budget %d ms): %s",
              elapsed / 1_000_000, retry, timeoutNanos / 1_000_000, e.getMessage()), e);
        }
        long pause = Math.min(backoffNanos(retry, random), budget - elapsed);
        listener.retrying(e, retry, pause);
        clock.sleep(pause);
        waited += pause;
      }
    }
  }

  private static long nonNegative(Duration d, String what) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(what + " must be zero or more, got " + d);
    }
    return d.toNanos();
  }

  @Override
  public String toString() {
    return "BlobRetryPolicy{timeout=" + timeout() + ", notFoundGrace=" + notFoundGrace() + ", backoff="
        + Duration.ofNanos(initialBackoffNanos) + ".." + Duration.ofNanos(maxBackoffNanos) + "}";
  }
}
