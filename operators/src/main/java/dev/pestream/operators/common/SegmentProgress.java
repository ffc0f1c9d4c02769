package dev.pestream.operators.common;

/**
 * Per-stream progress of a {@link SegmentedWindowAssembler}, in keyed state. A Flink POJO;
 * assemblers that need more per-stream facts extend it.
 */
public class SegmentProgress {
  /** The next window index to emit. */
  public long nextWindow;
  /** Start of the current continuous segment (after the last gap), microseconds. */
  public long segmentStartUs;
  /** All data before this time has arrived, microseconds. */
  public long coveredUntilUs;
  public long latestIngestTimeMs;
  /** The segment was flushed (end of input, idle stream, failed chunk): the next chunk starts a new one. */
  public boolean segmentClosed;
  /** Processing time of the latest chunk, for the idle timeout. */
  public long lastArrivalMs;

  public SegmentProgress() {}
}
