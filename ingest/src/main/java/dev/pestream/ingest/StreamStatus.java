package dev.pestream.ingest;

/**
 * What one stream of a fleet is doing, updated by its runner thread and read by the status
 * lines and the metrics: state, the last error, totals across reconnects and restarts, bitrate
 * over the last few seconds, and how far the stream is behind real time.
 *
 * <p>Behind real time: how much later than its pace so far the stream is now, i.e. wall time
 * minus stream time published, less the smallest such difference seen since the stream (re)started
 * (so the probing delay before the first chunk does not count). A live source delivered at 1x
 * stays between 0 and one chunk duration (a chunk is published once complete); it grows while
 * the source stalls or reconnects, or when ingest falls behind.
 */
public final class StreamStatus {
  /** Where a stream is. */
  public enum State {
    /** Opening the source for the first time. */
    CONNECTING,
    /** Chunks are flowing. */
    STREAMING,
    /** The source dropped or ended; reconnecting with backoff. */
    RECONNECTING,
    /** The source could not be opened; trying again with backoff. */
    RETRYING,
    /** A file ended. */
    ENDED,
    /** A live source gave up after max-reconnects attempts that delivered nothing. */
    LOST,
    /** Kafka or the blob store refused the chunks, or an unexpected error: the stream stopped. */
    FAILED,
    /** Stopped (removed from the sources file, or shutdown). */
    STOPPED
  }

  /** A consistent view for one status line or scrape. */
  public record Snapshot(
      String streamId,
      State state,
      String error,
      long chunks,
      long bytes,
      long reconnects,
      long nextSeq,
      long lastChunkEpochMillis,
      double bitsPerSecond,
      double behindSeconds) {}

  /** Bitrate window: samples one second apart. */
  private static final int SAMPLES = 6;

  private final String streamId;
  private volatile State state = State.CONNECTING;
  private volatile String error;
  private volatile long chunks;
  private volatile long bytes;
  private volatile long reconnects;
  private volatile long nextSeq;
  private volatile long lastChunkEpochMillis;
  /** Smallest (wall time − stream time) at a chunk of this run, µs; {@link Long#MAX_VALUE} before one. */
  private volatile long paceOffsetUs = Long.MAX_VALUE;
  private volatile long mediaUs;
  private long runChunks;
  private long runBytes;
  private long runReconnects;
  private final long[] sampleNanos = new long[SAMPLES];
  private final long[] sampleBytes = new long[SAMPLES];
  private int samples;
  private volatile double bitsPerSecond;

  public StreamStatus(String streamId, long nextSeq) {
    this.streamId = streamId;
    this.nextSeq = nextSeq;
  }

  public String streamId() {
    return streamId;
  }

  public State state() {
    return state;
  }

  /** A new ingestion of this stream starts (first run, retry or restart): totals go on from here. */
  synchronized void beginRun() {
    runChunks = chunks;
    runBytes = bytes;
    runReconnects = reconnects;
    paceOffsetUs = Long.MAX_VALUE;
  }

  /** After every published chunk, with the current run's totals. */
  synchronized void chunk(IngestSummary run) {
    long now = System.nanoTime();
    chunks = runChunks + run.chunks();
    bytes = runBytes + run.bytes();
    reconnects = runReconnects + run.reconnects();
    nextSeq = run.nextSeq();
    mediaUs = run.mediaUs();
    lastChunkEpochMillis = System.currentTimeMillis();
    paceOffsetUs = Math.min(paceOffsetUs, now / 1000 - run.mediaUs());
    state = State.STREAMING;
    error = null;
  }

  synchronized void reconnecting(String reason) {
    reconnects++;
    state = State.RECONNECTING;
    error = reason;
  }

  synchronized void retrying(String reason) {
    state = State.RETRYING;
    error = reason;
  }

  synchronized void ended(State end, String reason) {
    state = end;
    if (reason != null) {
      error = reason;
    }
  }

  /** Takes a bitrate sample; the status ticker calls it once a second. */
  synchronized void sample(long nowNanos) {
    int slot = samples % SAMPLES;
    sampleNanos[slot] = nowNanos;
    sampleBytes[slot] = bytes;
    samples++;
    int oldest = samples < SAMPLES ? 0 : samples % SAMPLES;
    long dt = nowNanos - sampleNanos[oldest];
    bitsPerSecond = dt <= 0 ? 0 : (bytes - sampleBytes[oldest]) * 8e9 / dt;
  }

  public synchronized Snapshot snapshot(long nowNanos) {
    boolean running = state == State.STREAMING || state == State.RECONNECTING;
    double behind =
        !running || paceOffsetUs == Long.MAX_VALUE ? Double.NaN : (nowNanos / 1000 - mediaUs - paceOffsetUs) / 1e6;
    return new Snapshot(
        streamId, state, error, chunks, bytes, reconnects, nextSeq, lastChunkEpochMillis, bitsPerSecond, behind);
  }
}
