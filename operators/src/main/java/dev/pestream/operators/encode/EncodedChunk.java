package dev.pestream.operators.encode;

/**
 * One chunk after the frame-level encoders: codec features per 40 ms audio frame and a feature
 * vector per sampled video frame, placed on the stream clock. What the window assembler and the
 * span scorer consume. A Flink POJO with flat primitive arrays (cheap to serialize).
 */
public class EncodedChunk {
  public String streamId;
  public long seq;
  /** Stream-clock range of the chunk, microseconds. */
  public long startUs;
  public long endUs;
  public long ingestTimeMs;
  /** The stream was interrupted before this chunk: nothing may be spliced across. */
  public boolean gapBefore;

  /** Index of the first 40 ms audio frame (frame f covers [f*40 ms, (f+1)*40 ms)). */
  public long firstAudioFrame;
  public int audioFrameCount;
  /** audioFrameCount x audioFeatureDim codec features, row-major. */
  public float[] audioFeatures = new float[0];
  public int audioFeatureDim;
  /** Where real audio ends (the last frame may be padded), microseconds; 0 if no audio. */
  public long audioEndUs;

  /** Presentation times of the encoded video frames, microseconds, increasing. */
  public long[] videoPtsUs = new long[0];
  /** Index of each frame on the stream's nominal frame grid (for uniform:K selection). */
  public long[] videoGridIndex = new long[0];
  /** Nominal frame rate num/den of the stream; num 0 when unknown. */
  public long frameRateNum;
  public long frameRateDen = 1;
  /** videoPtsUs.length x frameFeatureDim frame features, row-major. */
  public float[] videoFeatures = new float[0];
  public int frameFeatureDim;

  public EncodedChunk() {}

  public float[] audioFrame(int i) {
    float[] row = new float[audioFeatureDim];
    System.arraycopy(audioFeatures, i * audioFeatureDim, row, 0, audioFeatureDim);
    return row;
  }

  public float[] videoFrame(int i) {
    float[] row = new float[frameFeatureDim];
    System.arraycopy(videoFeatures, i * frameFeatureDim, row, 0, frameFeatureDim);
    return row;
  }
}
