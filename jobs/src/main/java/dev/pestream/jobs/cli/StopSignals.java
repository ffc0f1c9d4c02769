package dev.pestream.jobs.cli;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Ctrl-C (SIGINT) and SIGTERM as a request to stop: the command finishes its own way (closes what
 * it started, prints its summary) and exits 0, where the JVM's default would run shutdown hooks and
 * exit 130 / 143.
 */
final class StopSignals {
  private StopSignals() {}

  /** A latch that opens on the first SIGINT or SIGTERM. */
  static CountDownLatch install() {
    CountDownLatch stop = new CountDownLatch(1);
    for (String name : new String[] {"INT", "TERM"}) {
      Signal.handle(new Signal(name), signal -> stop.countDown());
    }
    return stop;
  }
}
