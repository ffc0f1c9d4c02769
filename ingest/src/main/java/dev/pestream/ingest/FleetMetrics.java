package dev.pestream.ingest;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * The status lines of a fleet as Prometheus metrics, label {@code stream} = stream id, served at
 * {@code http://HOST:PORT/metrics} (text format 0.0.4) by the Prometheus Java client (the copy
 * that ships inside Flink's Prometheus reporter).
 */
public final class FleetMetrics extends Collector implements AutoCloseable {
  public static final String STREAM_LABEL = "stream";
  public static final String STATE_LABEL = "state";
  public static final String STATE = "pestream_ingest_stream_state";
  public static final String CHUNKS = "pestream_ingest_chunks_total";
  public static final String BYTES = "pestream_ingest_bytes_total";
  public static final String RECONNECTS = "pestream_ingest_reconnects_total";
  public static final String NEXT_SEQ = "pestream_ingest_next_seq";
  public static final String LAST_CHUNK = "pestream_ingest_last_chunk_timestamp_seconds";
  public static final String BITRATE = "pestream_ingest_bitrate_bits_per_second";
  public static final String BEHIND = "pestream_ingest_behind_realtime_seconds";

  private final SourceFleet fleet;
  private final HTTPServer server;

  private FleetMetrics(SourceFleet fleet, int port) throws IOException {
    this.fleet = fleet;
    CollectorRegistry registry = new CollectorRegistry();
    registry.register(this);
    this.server = new HTTPServer(new InetSocketAddress(port), registry, true);
  }

  /** Serves the fleet's metrics on {@code port} (0 = any free port, see {@link #port()}). */
  static FleetMetrics serve(SourceFleet fleet, int port) throws IOException {
    return new FleetMetrics(fleet, port);
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public List<MetricFamilySamples> collect() {
    List<String> stream = List.of(STREAM_LABEL);
    GaugeMetricFamily state = new GaugeMetricFamily(STATE, "1 for the stream's current state", List.of(STREAM_LABEL, STATE_LABEL));
    CounterMetricFamily chunks = new CounterMetricFamily(CHUNKS, "chunks published", stream);
    CounterMetricFamily bytes = new CounterMetricFamily(BYTES, "chunk bytes published", stream);
    CounterMetricFamily reconnects = new CounterMetricFamily(RECONNECTS, "reconnects of the source", stream);
    GaugeMetricFamily nextSeq = new GaugeMetricFamily(NEXT_SEQ, "sequence number of the next chunk", stream);
    GaugeMetricFamily lastChunk = new GaugeMetricFamily(LAST_CHUNK, "when the last chunk was published (0 = none yet)", stream);
    GaugeMetricFamily bitrate = new GaugeMetricFamily(BITRATE, "bits published per second over the last 5 s", stream);
    GaugeMetricFamily behind = new GaugeMetricFamily(BEHIND, "wall time minus stream time published since the first chunk", stream);
    long now = System.nanoTime();
    for (StreamStatus status : fleet.statuses()) {
      StreamStatus.Snapshot s = status.snapshot(now);
      List<String> id = List.of(s.streamId());
      for (StreamStatus.State each : StreamStatus.State.values()) {
        state.addMetric(List.of(s.streamId(), each.name().toLowerCase(Locale.ROOT)), each == s.state() ? 1 : 0);
      }
      chunks.addMetric(id, s.chunks());
      bytes.addMetric(id, s.bytes());
      reconnects.addMetric(id, s.reconnects());
      nextSeq.addMetric(id, s.nextSeq());
      lastChunk.addMetric(id, s.lastChunkEpochMillis() / 1000.0);
      bitrate.addMetric(id, s.bitsPerSecond());
      if (!Double.isNaN(s.behindSeconds())) {
        behind.addMetric(id, s.behindSeconds());
      }
    }
    return List.of(state, chunks, bytes, reconnects, nextSeq, lastChunk, bitrate, behind);
  }

  @Override
  public void close() {
    server.stop();
  }
}
