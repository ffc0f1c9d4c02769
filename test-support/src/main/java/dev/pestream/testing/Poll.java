package dev.pestream.testing;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls a probe until its value satisfies a condition, or fails with what it saw last. */
public final class Poll {
  private static final Duration INTERVAL = Duration.ofMillis(250);

  private Poll() {}

  /**
   * Returns the first value of {@code probe} that satisfies {@code done}. A probe that throws
   * counts as "not yet" (a process still starting); its last error is reported on timeout.
   */
  public static <T> T until(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    RuntimeException lastError = null;
    while (true) {
      try {
        last = probe.get();
        lastError = null;
        if (done.test(last)) {
          return last;
        }
      } catch (RuntimeException e) {
        lastError = e;
      }
      if (System.nanoTime() > deadline) {
        String seen = String.valueOf(lastError != null ? lastError : last);
        AssertionError timedOut = new AssertionError("timed out after " + timeout + " waiting for " + what
            + "; last seen: " + (seen.length() > 2000 ? seen.substring(0, 2000) + "..." : seen));
        if (lastError != null) {
          timedOut.initCause(lastError);
        }
        throw timedOut;
      }
      sleep(INTERVAL);
    }
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
