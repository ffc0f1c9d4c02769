package dev.pestream.operators.decode;

/**
 * The {@code uniform:K} frame selection, as pure functions shared by the decoder (which keeps only
 * the frames some window selects) and the window assembler (which picks each window's frames).
 *
 * <p>Rule (PE-AV -16-frame models, MODELS.md): of the {@code n} frames of a window, take the
 * {@code K} frames at indices {@code floor(i * (n - 1) / (K - 1))}, {@code i = 0..K-1}: evenly
 * spaced, first and last included; with {@code n < K} some frames repeat. This is the reference's
 * {@code int(i * (total_frames - 1) / (num_frames - 1))} (perception_models,
 * core/audio_visual_encoder/transforms.py) in exact integer arithmetic.
 *
 * <p>Frames live on the stream's nominal frame grid: frame {@code j} sits at {@code j / fps}
 * seconds on the stream clock (see {@link FrameRate#gridIndexOf}). Window {@code w} covers
 * {@code [w * hop, w * hop + window)}, so its frames are the grid indices {@code j} with {@code
 * j / fps} in that interval.
 */
public final class UniformSampling {
  private UniformSampling() {}

  /** Indices into a window of {@code n} frames of the {@code k} selected frames. */
  public static int[] indices(int n, int k) {
    if (k < 2) {
      throw new IllegalArgumentException("uniform sampling needs at least 2 frames per window, got " + k);
    }
    if (n <= 0) {
      return new int[0];
    }
    int[] out = new int[k];
    for (int i = 0; i < k; i++) {
      out[i] = (int) ((long) i * (n - 1) / (k - 1));
    }
    return out;
  }

  /** First grid index of window {@code w} (inclusive). */
  public static long firstGridIndex(long w, long windowUs, long hopUs, FrameRate fps) {
    return fps.firstGridIndexAtOrAfter(Math.multiplyExact(w, hopUs));
  }

  /** Grid index just past the last frame of window {@code w} (exclusive). */
  public static long endGridIndex(long w, long windowUs, long hopUs, FrameRate fps) {
    return fps.firstGridIndexAtOrAfter(Math.addExact(Math.multiplyExact(w, hopUs), windowUs));
  }

  /** Grid indices of the frames window {@code w} selects, in order ({@code k} of them, or none). */
  public static long[] selectedGridIndices(long w, long windowUs, long hopUs, int k, FrameRate fps) {
    long first = firstGridIndex(w, windowUs, hopUs, fps);
    long n = endGridIndex(w, windowUs, hopUs, fps) - first;
    int[] picks = indices((int) Math.min(n, Integer.MAX_VALUE), k);
    long[] out = new long[picks.length];
    for (int i = 0; i < picks.length; i++) {
      out[i] = first + picks[i];
    }
    return out;
  }

  /** Whether any window (index >= 0) selects grid frame {@code j}. */
  public static boolean isSelected(long j, long windowUs, long hopUs, int k, FrameRate fps) {
    long t = fps.timeUsOf(j);
    // Windows whose span can contain t: w*hop <= t < w*hop + window, widened by one on each side
    // because t is rounded; the exact test below decides.
    long lastW = Math.floorDiv(t, hopUs) + 1;
    long firstW = Math.max(0, Math.floorDiv(t - windowUs, hopUs) - 1);
    for (long w = firstW; w <= lastW; w++) {
      long first = firstGridIndex(w, windowUs, hopUs, fps);
      long end = endGridIndex(w, windowUs, hopUs, fps);
      if (j < first || j >= end) {
        continue;
      }
      long n = end - first;
      long r = j - first;
      // Is r = floor(i * (n - 1) / (k - 1)) for some i? The smallest candidate i is
      // ceil(r * (k - 1) / (n - 1)); check it (and that it is a valid index).
      if (n == 1) {
        return true;
      }
      long i = -Math.floorDiv(-r * (k - 1), n - 1);
      if (i < k && i * (n - 1) / (k - 1) == r) {
        return true;
      }
    }
    return false;
  }
}
