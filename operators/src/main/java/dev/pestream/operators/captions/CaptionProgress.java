package dev.pestream.operators.captions;

/** Per-stream progress of the caption window assembler, in keyed state. A Flink POJO. */
public class CaptionProgress {
  /** The next window index to emit. */
  public long nextWindow;
  /** Start of the current continuous segment (after the last gap), microseconds. */
  public long segmentStartUs;
  /** The stream is covered up to here, microseconds. */
  public long coveredUntilUs;
  public long latestIngestTimeMs;
  /** The segment was flushed (end of input, idle stream, failed chunk): the next chunk starts a new one. */
  public boolean segmentClosed;
  /** Processing time of the latest chunk, for the idle timeout. */
  public long lastArrivalMs;

  public CaptionProgress() {}
}
