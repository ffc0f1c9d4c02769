package dev.pestream.operators.windows;

import dev.pestream.operators.common.SegmentProgress;

/** Per-stream progress of the window assembler, in keyed state. A Flink POJO. */
public class AssemblerProgress extends SegmentProgress {
  public int audioFeatureDim;
  public int frameFeatureDim;
  /** Nominal frame rate of the stream's video (num 0 when unknown). */
  public long frameRateNum;
  public long frameRateDen = 1;

  public AssemblerProgress() {}
}
