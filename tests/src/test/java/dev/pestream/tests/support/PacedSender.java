package dev.pestream.tests.support;

import dev.pestream.testing.kafka.KafkaTestClient;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends (key, value) records to a topic from a background thread at a steady rate, so a job sees
 * a live stream while a test kills processes or stops the job. {@link #pause()} holds the stream
 * (while a job restarts, however long that takes on a loaded machine) and {@link #resume()} goes on
 * at the same rate. {@link #holdFrom(int)} keeps the last records back until {@link
 * #allowUpTo(int)} lets them go, so a test that injects faults one after another has fresh records
 * left for each fault however long the ones before took. {@link #close()} stops and joins the thread
 * (its producer is closed there).
 */
public final class PacedSender implements AutoCloseable {
  private final Thread thread;
  private final AtomicInteger sent = new AtomicInteger();
  private final int total;
  private volatile boolean stopped;
  private final Object gate = new Object();
  private boolean paused; // guarded by gate
  private int limit; // guarded by gate: records from this index on are held
  private volatile Throwable failure;

  public PacedSender(KafkaTestClient kafka, String topic, List<byte[][]> records, int perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("rate must be at least one record per second");
    }
    this.total = records.size();
    this.limit = total;
    this.thread = new Thread(() -> {
      long start = System.nanoTime();
      int sentAtStart = 0;
      try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
        for (byte[][] kv : records) {
          if (awaitUnpaused(sent.get())) { // the rate counts from the resume, not from before the pause
            start = System.nanoTime();
            sentAtStart = sent.get();
          }
          if (stopped) {
            return;
          }
          producer.send(new ProducerRecord<>(topic, kv[0], kv[1])).get();
          int n = sent.incrementAndGet();
          long due = start + (n - sentAtStart) * 1_000_000_000L / perSecond;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable e) {
        failure = e;
      }
    }, "paced-sender-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  /** Holds the stream after the record being sent now. */
  public void pause() {
    synchronized (gate) {
      paused = true;
    }
  }

  /** Goes on sending at the same rate. */
  public void resume() {
    synchronized (gate) {
      paused = false;
      gate.notifyAll();
    }
  }

  /** Holds every record from {@code index} on (as if paused there) until {@link #allowUpTo}. */
  public void holdFrom(int index) {
    synchronized (gate) {
      limit = Math.max(0, Math.min(total, index));
    }
  }

  /** Lets the first {@code count} records go (never holds back what an earlier call let go). */
  public void allowUpTo(int count) {
    synchronized (gate) {
      limit = Math.max(limit, Math.min(total, count));
      gate.notifyAll();
    }
  }

  /** Blocks while paused or while record {@code next} is held; true if it did. */
  private boolean awaitUnpaused(int next) throws InterruptedException {
    synchronized (gate) {
      boolean waited = false;
      while ((paused || next >= limit) && !stopped) {
        gate.wait(100);
        waited = true;
      }
      return waited;
    }
  }

  /** Records acknowledged by the broker so far. */
  public int sent() {
    return sent.get();
  }

  /** Waits until every record was sent; fails if sending failed. */
  public void awaitAllSent(Duration timeout) throws InterruptedException {
    thread.join(timeout.toMillis());
    if (failure != null) {
      throw new AssertionError("sending failed", failure);
    }
    if (sent.get() != total) {
      throw new AssertionError("sent " + sent.get() + " of " + total + " records within " + timeout);
    }
  }

  @Override
  public void close() {
    stopped = true;
    resume();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
