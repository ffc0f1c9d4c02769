package dev.pestream.ingest;

import java.util.function.BooleanSupplier;

/**
 * Runs an ingestion: reads the source through {@link MediaChunker}, publishes every chunk with
 * a {@link ChunkPublisher}, paces at 1x when asked, and keeps a live source going across drops:
 * a live source that drops or ends is reopened after a backoff (doubling from the initial to the
 * maximum delay, reset by every connection that delivered chunks) until {@code maxReconnects}
 * attempts in a row deliver nothing.
 *
 * <p>After a reconnect the stream clock goes on where the wall clock says it should (the last
 * chunk's end plus the outage), and the first chunk is marked as a discontinuity, so the job never
 * splices media across the hole.
 */
public final class Ingest {
  private final IngestSettings settings;
  private final ChunkPublisher publisher;
  private final IngestProgress progress;
  private final BooleanSupplier stopRequested;

  private long chunks;
  private long bytes;
  private long claimChecked;
  private long firstStartUs = Long.MIN_VALUE;
  private long lastEndUs = Long.MIN_VALUE;
  private long wallStartNanos;
  private int reconnects;
  private boolean markNextChunk;
  private String lastDropReason;

  public Ingest(IngestSettings settings, ChunkPublisher publisher, IngestProgress progress, BooleanSupplier stopRequested) {
    this.settings = settings;
    this.publisher = publisher;
    this.progress = progress;
    this.stopRequested = stopRequested;
  }

  /**
   * Ingests until the source ends, a live source is lost, or stop is requested; flushes the
   * producer before returning.
   *
   * @throws SourceException when the source cannot be opened the first time
   * @throws PublishException when Kafka or the blob store fails
   */
  public IngestSummary run() throws SourceException, PublishException, InterruptedException {
    wallStartNanos = System.nanoTime();
    boolean resumed = settings.resumeAtUs() != IngestSettings.NOT_RESUMED;
    long clockOffsetUs = resumed ? settings.resumeAtUs() : 0;
    markNextChunk = resumed;
    long backoff = settings.reconnectInitialMillis();
    int failuresInARow = 0;
    boolean everConnected = false;
    IngestSummary.End end;
    while (true) {
      MediaChunker.Connection connection;
      try {
        connection =
            MediaChunker.read(
                settings.source(),
                settings.stdin(),
                settings.chunking(),
                clockOffsetUs,
                settings.ioTimeoutUs(),
                stopRequested,
                this::publish);
        everConnected = true;
      } catch (SourceException e) {
        if (!everConnected || !settings.live()) {
          throw e;
        }
        connection = new MediaChunker.Connection(0, Long.MIN_VALUE, e);
      } catch (PublishException | InterruptedException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("ingestion failed: " + e.getMessage(), e);
      }
      long droppedAtNanos = System.nanoTime();
      if (stopRequested.getAsBoolean()) {
        end = IngestSummary.End.STOPPED;
        break;
      }
      if (!settings.live()) {
        if (connection.failure() != null) {
          // A file that breaks midway: what was read is published; report the rest as lost.
          end = IngestSummary.End.SOURCE_LOST;
          lastDropReason = connection.failure().getMessage();
          progress.warning(connection.failure().getMessage() + " (not a live source: not reconnecting)");
        } else {
          end = IngestSummary.End.SOURCE_ENDED;
        }
        break;
      }
      if (connection.chunks() > 0) {
        failuresInARow = 0;
        backoff = settings.reconnectInitialMillis();
      }
      lastDropReason = connection.failure() == null ? "source ended" : connection.failure().getMessage();
      if (settings.maxReconnects() >= 0 && failuresInARow >= settings.maxReconnects()) {
        end = IngestSummary.End.SOURCE_LOST;
        break;
      }
      failuresInARow++;
      reconnects++;
      progress.reconnecting(reconnects, backoff, lastDropReason);
      if (sleepUnlessStopped(backoff)) {
        end = IngestSummary.End.STOPPED;
        break;
      }
      backoff = Math.min(2 * backoff, settings.reconnectMaxMillis());
      if (lastEndUs != Long.MIN_VALUE) {
        clockOffsetUs = lastEndUs + (System.nanoTime() - droppedAtNanos) / 1000;
      }
      markNextChunk = true;
    }
    publisher.flush();
    return summary(end);
  }

  /** Why the live source last dropped (the reason a lost source was given up on), or null. */
  public String lastDropReason() {
    return lastDropReason;
  }

  private void publish(ChunkData chunk) throws PublishException, InterruptedException {
    if (markNextChunk) {
      chunk = chunk.withDiscontinuity();
      markNextChunk = false;
    }
    if (firstStartUs == Long.MIN_VALUE) {
      firstStartUs = chunk.startUs();
    }
    if (settings.realtime()) {
      long dueNanos = wallStartNanos + (chunk.endUs() - firstStartUs) * 1000;
      long waitMillis = (dueNanos - System.nanoTime()) / 1_000_000;
      if (waitMillis > 0) {
        sleepUnlessStopped(waitMillis);
      }
    }
    var record = publisher.publish(chunk);
    chunks++;
    bytes += chunk.bytes().length;
    if (!(record.getPayload() instanceof java.nio.ByteBuffer)) {
      claimChecked++;
    }
    lastEndUs = Math.max(lastEndUs, chunk.endUs());
    progress.chunk(summary(IngestSummary.End.SOURCE_ENDED));
  }

  /** End of the last chunk published on the stream clock, {@link Long#MIN_VALUE} before the first. */
  public long lastEndUs() {
    return lastEndUs;
  }

  /** Sleeps in small steps; returns true if stop was requested meanwhile. */
  private boolean sleepUnlessStopped(long millis) throws InterruptedException {
    long until = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < until) {
      if (stopRequested.getAsBoolean()) {
        return true;
      }
      Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
    }
    return stopRequested.getAsBoolean();
  }

  private IngestSummary summary(IngestSummary.End end) {
    long media = firstStartUs == Long.MIN_VALUE ? 0 : lastEndUs - firstStartUs;
    return new IngestSummary(
        chunks, bytes, claimChecked, media, System.nanoTime() - wallStartNanos, reconnects, publisher.nextSeq(), end);
  }
}
