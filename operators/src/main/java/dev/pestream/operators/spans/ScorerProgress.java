package dev.pestream.operators.spans;

/** Per-stream progress of the span scorer, in keyed state. A Flink POJO. */
public class ScorerProgress {
  /** The frame after the last one scored; context rows end here. */
  public long nextFrame;
  /** Codec features of the frames just before nextFrame (row-major), context for PE-A-Frame. */
  public float[] context = new float[0];
  public int contextRows;
  /** Where real audio ends so far, for clipping spans at the end of a segment. */
  public long audioEndUs;
  public long lastArrivalMs;
  /** The segment was closed (end of input, idle): the next chunk starts fresh. */
  public boolean closed;

  public ScorerProgress() {}
}
