package dev.pestream.operators.decode;

import java.io.Serializable;
import java.util.Arrays;

/**
 * How a kept frame becomes model input: resized straight to {@code imageSize x imageSize}
 * (bilinear, no crop, FFmpeg's swscale), RGB channels first, {@code (v / 255 - mean[c]) /
 * std[c]}. The values come from the model bundle's manifest ({@code video.imageSize},
 * {@code video.mean}, {@code video.std}).
 */
public final class VideoPreprocessing implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The PE frame encoders' normalisation: mean 0.5, std 0.5 on every channel. */
  public static final float[] PE_MEAN = {0.5f, 0.5f, 0.5f};

  public static final float[] PE_STD = {0.5f, 0.5f, 0.5f};

  /** Largest image size accepted (PLM's tower reads 448). */
  public static final int MAX_IMAGE_SIZE = 1024;

  private final int imageSize;
  private final float[] mean;
  private final float[] std;

  public VideoPreprocessing(int imageSize, float[] mean, float[] std) {
    if (imageSize < 8 || imageSize > MAX_IMAGE_SIZE) {
      throw new IllegalArgumentException("imageSize must be in [8, " + MAX_IMAGE_SIZE + "], got " + imageSize);
    }
    if (mean == null || std == null || mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std need exactly 3 values (R, G, B)");
    }
    for (float s : std) {
      if (!(s > 0) || Float.isInfinite(s)) {
        throw new IllegalArgumentException("std values must be positive and finite: " + Arrays.toString(std));
      }
    }
    for (float m : mean) {
      if (!Float.isFinite(m)) {
        throw new IllegalArgumentException("mean values must be finite: " + Arrays.toString(mean));
      }
    }
    this.imageSize = imageSize;
    this.mean = mean.clone();
    this.std = std.clone();
  }

  /** PE preprocessing (mean/std 0.5) at image size {@code s}. */
  public static VideoPreprocessing pe(int s) {
    return new VideoPreprocessing(s, PE_MEAN, PE_STD);
  }

  public int imageSize() {
    return imageSize;
  }

  public float[] mean() {
    return mean.clone();
  }

  public float[] std() {
    return std.clone();
  }

  /** Floats per frame: {@code 3 * S * S}. */
  public int frameFloats() {
    return 3 * imageSize * imageSize;
  }

  /** {@code table[c][v]} = normalised value of byte {@code v} on channel {@code c}. */
  float[][] lookupTable() {
    float[][] table = new float[3][256];
    for (int c = 0; c < 3; c++) {
      for (int v = 0; v < 256; v++) {
        table[c][v] = (v / 255f - mean[c]) / std[c];
      }
    }
    return table;
  }

  /** The byte value whose normalised value is {@code x} on channel {@code c} (for checks and tools). */
  public int byteValueOf(int c, float x) {
    return Math.round((x * std[c] + mean[c]) * 255f);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VideoPreprocessing v
        && v.imageSize == imageSize
        && Arrays.equals(v.mean, mean)
        && Arrays.equals(v.std, std);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * imageSize + Arrays.hashCode(mean)) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "VideoPreprocessing{S=" + imageSize + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "}";
  }
}
