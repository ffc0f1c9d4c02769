package dev.pestream.ingest;

import java.util.Objects;

/**
 * One stream of a sources file: its id, what to read, and how (the same settings as {@code
 * pestream ingest SOURCE}). Two specs are equal when a running stream would not change, so a
 * reload restarts only the streams whose spec changed.
 *
 * @param streamId Kafka key and the job's per-stream state
 * @param source file path (resolved against the sources file's folder) or URL
 * @param chunking how the stream is cut
 * @param live reconnect when the source drops or ends; null = network URLs only
 * @param realtime pace a file at 1x
 * @param maxReconnects reconnect attempts in a row that deliver nothing before giving up, -1 = forever
 * @param ioTimeoutUs longest wait for data from the source
 */
public record SourceSpec(
    String streamId,
    String source,
    ChunkingSettings chunking,
    Boolean live,
    boolean realtime,
    int maxReconnects,
    long ioTimeoutUs) {

  public SourceSpec {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(chunking, "chunking");
  }

  /** The single-source ingest settings of this stream (validated by their builder). */
  public IngestSettings.Builder settings() {
    return IngestSettings.builder(source)
        .chunking(chunking)
        .live(live)
        .realtime(realtime)
        .maxReconnects(maxReconnects)
        .ioTimeoutUs(ioTimeoutUs);
  }
}
