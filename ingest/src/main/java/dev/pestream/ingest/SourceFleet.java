package dev.pestream.ingest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The streams of {@code pestream ingest --sources}, one {@link StreamRunner} each, reconciled
 * with the sources file: {@link #apply} starts added streams, restarts changed ones and stops
 * removed ones, leaving the others running. A stream that is stopped and later comes back (or is
 * restarted with a new spec) continues its sequence numbers and stream clock, its first chunk
 * marked as a discontinuity.
 */
public final class SourceFleet implements AutoCloseable {
  private final FleetSink sink;
  private final Consumer<String> events;
  private final Map<String, StreamRunner> running = new LinkedHashMap<>();
  /** Where removed streams left off, should they come back. */
  private final Map<String, StreamRunner> retired = new HashMap<>();
  /** Read by the status lines and metrics without waiting for a reload that is stopping streams. */
  private volatile List<StreamStatus> statuses = List.of();

  SourceFleet(FleetSink sink, Consumer<String> events) {
    this.sink = sink;
    this.events = events;
  }

  /** Brings the running streams to {@code config}; returns what changed. */
  public synchronized FleetPlan apply(SourcesConfig config) throws InterruptedException {
    Map<String, SourceSpec> current = new LinkedHashMap<>();
    running.forEach((id, runner) -> current.put(id, runner.spec()));
    FleetPlan plan = FleetPlan.between(current, config);
    List<StreamRunner> stopping = new ArrayList<>();
    for (String id : plan.removed()) {
      stopping.add(running.remove(id));
    }
    for (SourceSpec spec : plan.changed()) {
      stopping.add(running.remove(spec.streamId()));
    }
    stopAll(stopping);
    stopping.forEach(r -> retired.put(r.spec().streamId(), r));
    Map<String, SourceSpec> wanted = config.byStreamId();
    for (SourceSpec spec : wanted.values()) {
      if (!running.containsKey(spec.streamId())) {
        start(spec);
      }
    }
    // keep file order for the status lines
    Map<String, StreamRunner> ordered = new LinkedHashMap<>();
    wanted.keySet().forEach(id -> ordered.put(id, running.get(id)));
    running.clear();
    running.putAll(ordered);
    statuses = running.values().stream().map(StreamRunner::status).toList();
    return plan;
  }

  private void start(SourceSpec spec) {
    StreamRunner previous = retired.remove(spec.streamId());
    long firstSeq = previous == null ? 0 : previous.nextSeq();
    long resumeAt = previous == null ? IngestSettings.NOT_RESUMED : previous.resumeAtUs(System.nanoTime());
    StreamRunner runner =
        new StreamRunner(spec, sink, new StreamStatus(spec.streamId(), firstSeq), firstSeq, resumeAt, events);
    running.put(spec.streamId(), runner);
    runner.start();
  }

  /** Signals every runner first, then waits: streams flush their last chunks in parallel. */
  private void stopAll(List<StreamRunner> runners) throws InterruptedException {
    runners.forEach(StreamRunner::requestStop);
    long deadline = System.nanoTime() + StreamRunner.STOP_TIMEOUT_MILLIS * 1_000_000;
    for (StreamRunner runner : runners) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      if (!runner.awaitStopped(left)) {
        events.accept(runner.spec().streamId() + ": did not stop within " + StreamRunner.STOP_TIMEOUT_MILLIS
            + " ms; its last chunk may be missing");
      }
    }
  }

  /** The current streams, in file order. */
  public List<StreamStatus> statuses() {
    return statuses;
  }

  /** Stops every stream, each flushing the chunk it was cutting. */
  @Override
  public synchronized void close() throws InterruptedException {
    List<StreamRunner> all = new ArrayList<>(running.values());
    stopAll(all);
  }
}
