package dev.pestream.ingest;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One stream of a fleet on its own thread: the single-source {@link Ingest} (reader, chunker,
 * reconnect backoff) publishing through its own {@link ChunkPublisher} (sequence numbers) on the
 * fleet's shared producer. A source that cannot be opened is retried with the same backoff as a
 * reconnect (a camera that is off when the fleet starts comes in later), so a failing stream only
 * ever occupies its own thread.
 *
 * <p>Memory: nothing is queued between reading and sending; a stream holds the chunk being cut
 * (at most chunk duration or one keyframe interval of media) plus FFmpeg's demuxer buffers, and
 * a send blocks while the shared producer's buffer is full.
 */
final class StreamRunner {
  /** How long {@link #awaitStopped} waits for the last chunk to be cut and sent. */
  static final long STOP_TIMEOUT_MILLIS = 15_000;

  private final SourceSpec spec;
  private final FleetSink sink;
  private final StreamStatus status;
  private final Consumer<String> events;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private volatile long nextSeq;
  private volatile long resumeAtUs;
  private volatile long lastEndUs = Long.MIN_VALUE;
  private volatile long stoppedAtNanos;

  /**
   * @param firstSeq sequence number of this stream's first chunk
   * @param resumeAtUs where its clock starts ({@link IngestSettings#NOT_RESUMED} for a new stream)
   */
  StreamRunner(SourceSpec spec, FleetSink sink, StreamStatus status, long firstSeq, long resumeAtUs, Consumer<String> events) {
    this.spec = spec;
    this.sink = sink;
    this.status = status;
    this.events = events;
    this.nextSeq = firstSeq;
    this.resumeAtUs = resumeAtUs;
    this.thread = new Thread(this::run, "ingest-" + spec.streamId());
    thread.setDaemon(true);
  }

  SourceSpec spec() {
    return spec;
  }

  StreamStatus status() {
    return status;
  }

  void start() {
    thread.start();
  }

  /** Asks the stream to stop: the chunk being cut is finished and sent. */
  void requestStop() {
    stop.set(true);
  }

  /** Waits for the stream's thread after {@link #requestStop}; false if it did not end in time. */
  boolean awaitStopped(long timeoutMillis) throws InterruptedException {
    thread.join(timeoutMillis);
    return !thread.isAlive();
  }

  /** The sequence number a continuation of this stream starts at (valid once stopped). */
  long nextSeq() {
    return nextSeq;
  }

  /** Where a continuation's clock starts: after the last chunk, plus the time since it stopped. */
  long resumeAtUs(long nowNanos) {
    if (lastEndUs == Long.MIN_VALUE) {
      return resumeAtUs;
    }
    return lastEndUs + Math.max(0, nowNanos - stoppedAtNanos) / 1000;
  }

  private void run() {
    long backoff = IngestSettings.DEFAULT_RECONNECT_INITIAL_MILLIS;
    int failuresInARow = 0;
    try {
      while (!stop.get()) {
        IngestSettings.Builder settings = spec.settings();
        if (resumeAtUs != IngestSettings.NOT_RESUMED) {
          settings.resumeAt(resumeAtUs);
        }
        ChunkPublisher publisher =
            new ChunkPublisher(sink.producer(), false, sink.topic(), spec.streamId(), sink.blobs(), sink.inlineMaxBytes(),
                nextSeq, Map.of(ChunkPublisher.SOURCE_ATTRIBUTE, SourceReader.redact(spec.source())))
                .writeIn(sink.format());
        Ingest ingest = new Ingest(settings.build(), publisher, new Progress(), stop::get);
        status.beginRun();
        try {
          IngestSummary summary = ingest.run();
          remember(publisher, ingest);
          switch (summary.end()) {
            case STOPPED -> status.ended(StreamStatus.State.STOPPED, null);
            case SOURCE_ENDED -> {
              status.ended(StreamStatus.State.ENDED, null);
              events.accept(spec.streamId() + ": source ended (" + summary.chunks() + " chunks)");
            }
            case SOURCE_LOST -> {
              status.ended(StreamStatus.State.LOST, "source lost after " + summary.reconnects() + " reconnects");
              events.accept(spec.streamId() + ": source lost; the stream stops (edit its entry to retry)");
            }
          }
          return;
        } catch (SourceException e) {
          remember(publisher, ingest);
          failuresInARow++;
          if (spec.maxReconnects() >= 0 && failuresInARow > spec.maxReconnects()) {
            status.ended(StreamStatus.State.LOST, e.getMessage());
            events.accept(spec.streamId() + ": " + e.getMessage() + "; giving up (max-reconnects " + spec.maxReconnects() + ")");
            return;
          }
          status.retrying(e.getMessage());
          events.accept(spec.streamId() + ": " + e.getMessage() + "; retrying in " + backoff + " ms");
          if (sleepUnlessStopped(backoff)) {
            status.ended(StreamStatus.State.STOPPED, null);
            return;
          }
          backoff = Math.min(2 * backoff, IngestSettings.DEFAULT_RECONNECT_MAX_MILLIS);
        } finally {
          stoppedAtNanos = System.nanoTime();
        }
      }
      status.ended(StreamStatus.State.STOPPED, null);
    } catch (PublishException e) {
      status.ended(StreamStatus.State.FAILED, e.getMessage());
      events.accept(spec.streamId() + ": " + e.getMessage() + "; the stream stops");
    } catch (InterruptedException e) {
      status.ended(StreamStatus.State.STOPPED, "interrupted");
    } catch (RuntimeException e) {
      status.ended(StreamStatus.State.FAILED, e.toString());
      events.accept(spec.streamId() + ": unexpected error " + e + "; the stream stops");
    }
  }

  private void remember(ChunkPublisher publisher, Ingest ingest) {
    nextSeq = publisher.nextSeq();
    if (ingest.lastEndUs() != Long.MIN_VALUE) {
      lastEndUs = ingest.lastEndUs();
      resumeAtUs = IngestSettings.NOT_RESUMED; // a retry after chunks continues from lastEndUs
    }
  }

  private boolean sleepUnlessStopped(long millis) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() < until) {
      if (stop.get()) {
        return true;
      }
      Thread.sleep(Math.min(50, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
    }
    return stop.get();
  }

  /** The single-source progress callbacks, turned into this stream's status and events. */
  private final class Progress extends IngestProgress {
    Progress() {
      super(new PrintStream(OutputStream.nullOutputStream()), false);
    }

    @Override
    public void chunk(IngestSummary soFar) {
      status.chunk(soFar);
    }

    @Override
    public void reconnecting(int attempt, long backoffMillis, String reason) {
      status.reconnecting(reason);
      events.accept(spec.streamId() + ": source dropped (" + reason + "); reconnect #" + attempt + " in " + backoffMillis + " ms");
    }

    @Override
    public void warning(String message) {
      events.accept(spec.streamId() + ": warning: " + message);
    }
  }
}
