package dev.pestream.models;

import java.util.Random;

/** Test support: waveforms and frames with known content. */
public final class Signals {
  public static final int RATE = 48_000;
  public static final int HOP = 1920;

  private Signals() {}

  /** {@code frames * HOP} samples of silence with a sine of {@code hz} over samples [from, to). */
  public static float[] tone(int frames, double hz, int from, int to, double amplitude) {
    float[] x = new float[frames * HOP];
    for (int n = from; n < to; n++) {
      x[n] = (float) (amplitude * Math.sin(2 * Math.PI * hz * (n - from) / RATE));
    }
    return x;
  }

  public static float[] noise(int frames, double amplitude, long seed) {
    Random random = new Random(seed);
    float[] x = new float[frames * HOP];
    for (int n = 0; n < x.length; n++) {
      x[n] = (float) (amplitude * (2 * random.nextDouble() - 1));
    }
    return x;
  }

  /** An S x S RGB24 frame of one colour. */
  public static byte[] solid(int size, int r, int g, int b) {
    byte[] rgb = new byte[size * size * 3];
    for (int p = 0; p < size * size; p++) {
      rgb[p * 3] = (byte) r;
      rgb[p * 3 + 1] = (byte) g;
      rgb[p * 3 + 2] = (byte) b;
    }
    return rgb;
  }

  public static float[][] randomRows(int rows, int width, long seed) {
    Random random = new Random(seed);
    float[][] out = new float[rows][width];
    for (float[] row : out) {
      for (int i = 0; i < width; i++) {
        row[i] = (float) random.nextGaussian();
      }
    }
    return out;
  }
}
