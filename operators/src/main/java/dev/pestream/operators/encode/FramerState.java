package dev.pestream.operators.encode;

/** Audio waiting to be encoded for one stream, in keyed state. A Flink POJO. */
public class FramerState {
  /** A segment is in progress (false before the first audio and after a flush). */
  public boolean active;
  /** Absolute sample index of {@code buffer[0]}; always on a frame boundary. */
  public long bufferStartSample;
  /** Samples from the left-context frames up to the newest sample received. */
  public float[] buffer = new float[0];
  /** First frame not yet emitted. */
  public long nextFrame;

  public FramerState() {}

  public long bufferEndSample() {
    return bufferStartSample + buffer.length;
  }
}
