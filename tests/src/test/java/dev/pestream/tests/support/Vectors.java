package dev.pestream.tests.support;

import java.util.List;

/** Vector arithmetic for comparing embeddings. */
public final class Vectors {
  private Vectors() {}

  public static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("dimension " + a.length + " vs " + b.length);
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  public static float[] toArray(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }
}
