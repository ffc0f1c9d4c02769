package dev.pestream.ingest;

import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.blob.BlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code pestream ingest --sources FILE}: every stream of the file in this process, until stop
 * is requested (Ctrl-C, SIGTERM). The file is checked every reload interval; an edit that reads
 * well is applied ({@link SourceFleet#apply}), one that does not is reported with its line and
 * the streams keep running as they were. Status lines on the console, metrics on a port.
 */
final class SourcesIngest {
  private final Path file;
  private final SourceFleet fleet;
  private final FleetConsole console;
  /** The file's bytes at the last look; null before the first, so that look re-reads what start-up read. */
  private byte[] seen;

  private SourcesIngest(Path file, SourceFleet fleet, FleetConsole console) {
    this.file = file;
    this.fleet = fleet;
    this.console = console;
  }

  /**
   * Runs the fleet of {@code config} (read from {@code file}) until {@code stop} is set, then
   * stops every stream (each flushes the chunk it was cutting) and flushes the producer.
   * {@code metricsPort} is told the port metrics are served on.
   */
  static void run(
      Path file,
      SourcesConfig config,
      SourcesOptions options,
      String bootstrap,
      String topic,
      BlobStore blobs,
      int inlineMaxBytes,
      RecordFormat format,
      Duration brokerOutage,
      PrintStream out,
      boolean terminal,
      AtomicBoolean stop,
      IntConsumer metricsPort)
      throws IOException, InterruptedException {
    FleetConsole console = new FleetConsole(out, terminal);
    Duration statusEvery = options.statusInterval != null
        ? options.statusInterval
        : Duration.ofSeconds(terminal ? 1 : 30);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            ChunkPublisher.producerProperties(bootstrap, inlineMaxBytes, brokerOutage.toMillis()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      SourceFleet fleet = new SourceFleet(new FleetSink(producer, topic, blobs, inlineMaxBytes, format), console::event);
      SourcesIngest ingest = new SourcesIngest(file, fleet, console);
      FleetMetrics metrics = null;
      ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "ingest-fleet-timer");
        t.setDaemon(true);
        return t;
      });
      try {
        if (options.metricsPort >= 0) {
          metrics = FleetMetrics.serve(fleet, options.metricsPort);
          metricsPort.accept(metrics.port());
          console.event("metrics at http://localhost:" + metrics.port() + "/metrics");
        }
        FleetPlan plan = fleet.apply(config);
        console.event(file + ": " + plan.added().size() + " streams started");
        long[] lastDraw = {0};
        timers.scheduleAtFixedRate(ingest.reporting(() -> ingest.tick(statusEvery, lastDraw)), 1, 1, TimeUnit.SECONDS);
        long reloadMillis = Math.max(100, options.reloadInterval.toMillis());
        timers.scheduleWithFixedDelay(ingest.reporting(ingest::reloadIfEdited), reloadMillis, reloadMillis,
            TimeUnit.MILLISECONDS);
        while (!stop.get()) {
          Thread.sleep(100);
        }
      } finally {
        timers.shutdown(); // a reload in progress completes
        timers.awaitTermination(StreamRunner.STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        fleet.close();
        producer.flush();
        console.draw(snapshots(fleet), System.currentTimeMillis());
        console.event("stopped " + fleet.statuses().size() + " streams; every chunk read was flushed to " + topic);
        if (metrics != null) {
          metrics.close();
        }
      }
    }
  }

  /** A periodic task that reports an unexpected failure and keeps running (an executor would drop it silently). */
  private Runnable reporting(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        console.event("warning: " + e);
      }
    };
  }

  private void tick(Duration statusEvery, long[] lastDraw) {
    long now = System.nanoTime();
    fleet.statuses().forEach(s -> s.sample(now));
    if (now - lastDraw[0] >= statusEvery.toNanos() - 500_000_000L) {
      lastDraw[0] = now;
      console.draw(snapshots(fleet), System.currentTimeMillis());
    }
  }

  private static List<StreamStatus.Snapshot> snapshots(SourceFleet fleet) {
    long now = System.nanoTime();
    return fleet.statuses().stream().map(s -> s.snapshot(now)).toList();
  }

  /** Applies the file if its bytes changed since the last look; a bad edit is reported once. */
  private void reloadIfEdited() {
    byte[] now;
    try {
      now = Files.readAllBytes(file);
    } catch (IOException e) {
      if (seen != null) {
        console.event("warning: cannot read " + file + " (" + e.getMessage() + "); keeping the running sources");
        seen = null;
      }
      return;
    }
    if (Arrays.equals(now, seen)) {
      return;
    }
    seen = now;
    try {
      SourcesConfig next = SourcesFile.parse(new String(now, StandardCharsets.UTF_8), file.toString(),
          file.toAbsolutePath().getParent());
      FleetPlan plan = fleet.apply(next);
      if (!plan.isEmpty()) {
        console.event(file + " reloaded: " + plan);
      }
    } catch (SourcesFileException e) {
      console.event("error: " + e.getMessage() + "; the edit is ignored, the running sources keep going");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
