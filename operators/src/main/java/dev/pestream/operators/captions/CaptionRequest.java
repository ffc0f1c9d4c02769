package dev.pestream.operators.captions;

/**
 * One caption window ready for the model: its frames (at most the configured maximum, in time
 * order) and its place on the stream clock. Identified by {@code (streamId, windowStartUs)}.
 * A Flink POJO; Async I/O checkpoints the ones in flight.
 */
public class CaptionRequest {
  public String streamId;
  /** Window index on the caption grid: the window covers {@code [index * W, (index + 1) * W)}. */
  public long window;
  public long windowStartUs;
  /** Exclusive; before {@code windowStartUs + W} when a gap, the end of the input or idleness cut it short. */
  public long windowEndUs;
  public boolean truncated;
  /** Latest ingest time among the chunks that filled the window (latency metrics). */
  public long ingestTimeMs;
  public CaptionFrame[] frames = new CaptionFrame[0];

  public CaptionRequest() {}

  @Override
  public String toString() {
    return "CaptionRequest{" + streamId + " [" + windowStartUs + ", " + windowEndUs + ") us, " + frames.length + " frames"
        + (truncated ? ", truncated" : "") + "}";
  }
}
