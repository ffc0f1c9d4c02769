package dev.pestream.operators.windows;

import java.io.Serializable;

/**
 * Sliding windows on the stream clock: window {@code k} covers {@code [k*hop, k*hop + length)}
 * microseconds. Length and hop are whole multiples of the 40 ms audio frame, so every window
 * holds whole audio frames.
 */
public record WindowGrid(long lengthUs, long hopUs, long frameUs) implements Serializable {
  public WindowGrid {
    if (frameUs <= 0 || lengthUs <= 0 || hopUs <= 0) {
      throw new IllegalArgumentException("window length, hop and frame must be positive");
    }
    if (lengthUs % frameUs != 0 || hopUs % frameUs != 0) {
      throw new IllegalArgumentException("window length " + lengthUs + " us and hop " + hopUs
          + " us must be multiples of the " + frameUs + " us audio frame");
    }
    if (hopUs > lengthUs) {
      throw new IllegalArgumentException("hop must not exceed the window length (no frame may be left out)");
    }
  }

  public long startUs(long window) {
    return window * hopUs;
  }

  public long endUs(long window) {
    return window * hopUs + lengthUs;
  }

  /** The first window whose end lies after {@code timeUs}: the earliest that can still hold it. */
  public long firstWindowEndingAfter(long timeUs) {
    if (timeUs < lengthUs) {
      return 0;
    }
    return Math.floorDiv(timeUs - lengthUs, hopUs) + 1;
  }

  /** The last window starting at or before {@code timeUs}. */
  public long lastWindowStartingBy(long timeUs) {
    return Math.floorDiv(timeUs, hopUs);
  }

  public long frameOf(long timeUs) {
    return Math.floorDiv(timeUs, frameUs);
  }
}
