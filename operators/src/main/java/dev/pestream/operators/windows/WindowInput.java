package dev.pestream.operators.windows;

/**
 * Everything a window encoder needs for one window: the audio codec features and video frame
 * features that fall into it, gathered from per-frame state (each frame was encoded once). A
 * Flink POJO.
 */
public class WindowInput {
  public String streamId;
  public long window;
  public long startUs;
  /** Exclusive; earlier than start + length when a gap or the end of the stream truncated it. */
  public long endUs;
  public boolean truncated;
  /** Latest ingest time among the chunks that filled the window (latency metrics). */
  public long ingestTimeMs;

  public long firstAudioFrame;
  public int audioFrameCount;
  public float[] audioFeatures = new float[0];
  public int audioFeatureDim;

  public int videoFrameCount;
  public long[] videoPtsUs = new long[0];
  public float[] videoFeatures = new float[0];
  public int frameFeatureDim;

  public WindowInput() {}

  public float[][] audioRows() {
    return rows(audioFeatures, audioFrameCount, audioFeatureDim);
  }

  public float[][] videoRows() {
    return rows(videoFeatures, videoFrameCount, frameFeatureDim);
  }

  private static float[][] rows(float[] flat, int count, int dim) {
    float[][] rows = new float[count][dim];
    for (int i = 0; i < count; i++) {
      System.arraycopy(flat, i * dim, rows[i], 0, dim);
    }
    return rows;
  }
}
