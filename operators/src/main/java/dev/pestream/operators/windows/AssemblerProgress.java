package dev.pestream.operators.windows;

/** Per-stream progress of the window assembler, in keyed state. A Flink POJO. */
public class AssemblerProgress {
  /** The next window index to emit. */
  public long nextWindow;
  /** Start of the current continuous segment (after the last gap), microseconds. */
  public long segmentStartUs;
  /** All frames before this time have arrived, microseconds. */
  public long coveredUntilUs;
  public long latestIngestTimeMs;
  public int audioFeatureDim;
  public int frameFeatureDim;
  /** The segment was flushed (end of input, idle stream): the next chunk starts a new segment. */
  public boolean segmentClosed;
  /** Nominal frame rate of the stream's video (num 0 when unknown). */
  public long frameRateNum;
  public long frameRateDen = 1;
  /** Processing time of the latest chunk, for the idle timeout. */
  public long lastArrivalMs;

  public AssemblerProgress() {}
}
