package dev.pestream.operators.captions;

import java.util.Arrays;

/**
 * PLM's frame choice for one caption window: one frame per interval (the earliest in each
 * interval slot on the stream clock: 1 s = 1 fps), then, if more than {@code maxFrames} remain,
 * {@code maxFrames} of them evenly spread, first and last included.
 */
public final class CaptionSampling {
  private CaptionSampling() {}

  /** The interval slot of a frame: slot {@code s} covers {@code [s * interval, (s + 1) * interval)}. */
  public static long slotOf(long ptsUs, long intervalUs) {
    return Math.floorDiv(ptsUs, intervalUs);
  }

  /** Indices into {@code sortedPtsUs} of the earliest frame in each interval slot. */
  public static int[] onePerInterval(long[] sortedPtsUs, long intervalUs) {
    int[] kept = new int[sortedPtsUs.length];
    int n = 0;
    long lastSlot = Long.MIN_VALUE;
    for (int i = 0; i < sortedPtsUs.length; i++) {
      if (i > 0 && sortedPtsUs[i] < sortedPtsUs[i - 1]) {
        throw new IllegalArgumentException("frame times must be in increasing order");
      }
      long slot = slotOf(sortedPtsUs[i], intervalUs);
      if (slot != lastSlot) {
        kept[n++] = i;
        lastSlot = slot;
      }
    }
    return Arrays.copyOf(kept, n);
  }

  /**
   * {@code k} indices out of {@code 0..n-1} evenly spread, first and last included
   * ({@code round(i * (n - 1) / (k - 1))}); all of them when {@code n <= k}.
   */
  public static int[] uniform(int n, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1");
    }
    if (n <= k) {
      int[] all = new int[n];
      Arrays.setAll(all, i -> i);
      return all;
    }
    if (k == 1) {
      return new int[] {0};
    }
    int[] picked = new int[k];
    for (int i = 0; i < k; i++) {
      // round half up in integer arithmetic: (2 * i * (n - 1) + (k - 1)) / (2 * (k - 1))
      picked[i] = (int) ((2L * i * (n - 1) + (k - 1)) / (2L * (k - 1)));
    }
    return picked;
  }

  /** Indices into {@code sortedPtsUs} of the frames to send: one per interval, at most {@code maxFrames}. */
  public static int[] select(long[] sortedPtsUs, long intervalUs, int maxFrames) {
    int[] perInterval = onePerInterval(sortedPtsUs, intervalUs);
    int[] picks = uniform(perInterval.length, maxFrames);
    int[] out = new int[picks.length];
    for (int i = 0; i < picks.length; i++) {
      out[i] = perInterval[picks[i]];
    }
    return out;
  }
}
