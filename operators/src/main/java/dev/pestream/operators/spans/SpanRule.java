package dev.pestream.operators.spans;

import java.io.Serializable;

/**
 * How per-frame probabilities become spans. {@link #reference(float)} is PE-A-Frame's reference
 * rule: frames with probability above the threshold, each maximal run of such frames is one
 * span, no smoothing, no minimum length, no gap merging. The options add hysteresis (open above
 * {@code onThreshold}, stay open while above {@code offThreshold}), a minimum span length, and
 * merging of runs separated by at most {@code mergeGapFrames} frames below the off threshold.
 */
public record SpanRule(float onThreshold, float offThreshold, int minFrames, int mergeGapFrames)
    implements Serializable {

  public SpanRule {
    if (!(onThreshold >= 0 && onThreshold < 1) || !(offThreshold >= 0 && offThreshold <= onThreshold)) {
      throw new IllegalArgumentException(
          "need 0 <= offThreshold <= onThreshold < 1, got on=" + onThreshold + " off=" + offThreshold);
    }
    if (minFrames < 1 || mergeGapFrames < 0) {
      throw new IllegalArgumentException("minFrames must be >= 1 and mergeGapFrames >= 0");
    }
  }

  /** The reference rule: prob > threshold, maximal runs. */
  public static SpanRule reference(float threshold) {
    return new SpanRule(threshold, threshold, 1, 0);
  }

  public SpanRule withThreshold(float threshold) {
    float off = onThreshold == offThreshold ? threshold : Math.min(threshold, offThreshold);
    return new SpanRule(threshold, off, minFrames, mergeGapFrames);
  }

  public boolean isReference() {
    return onThreshold == offThreshold && minFrames == 1 && mergeGapFrames == 0;
  }
}
