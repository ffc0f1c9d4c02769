package dev.pestream.operators.windows;

/**
 * The window encoders' answers for one window; an empty array where a modality was not computed
 * (not configured, no graph for it, or no audio / video in the window). A Flink POJO.
 */
public class WindowEmbeddings {
  public String streamId;
  public long window;
  public long startUs;
  public long endUs;
  public boolean truncated;
  public long ingestTimeMs;
  public int audioFrameCount;
  public int videoFrameCount;
  public String modelId;
  public String modelVersion;
  public float[] audio = new float[0];
  public float[] video = new float[0];
  public float[] audioVideo = new float[0];

  public WindowEmbeddings() {}
}
