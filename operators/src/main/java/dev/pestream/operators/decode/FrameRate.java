package dev.pestream.operators.decode;

import java.io.Serializable;

/**
 * A frame rate as the exact fraction {@code num/den} frames per second (e.g. 30000/1001), so
 * frame-grid arithmetic stays exact.
 */
public record FrameRate(long num, long den) implements Serializable {
  /** Unknown rate (a stream that has no video, or one FFmpeg could not guess). */
  public static final FrameRate UNKNOWN = new FrameRate(0, 1);

  public FrameRate {
    if (num < 0 || den <= 0) {
      throw new IllegalArgumentException("frame rate must be num >= 0, den > 0: " + num + "/" + den);
    }
    long g = gcd(num, den);
    if (g > 1) {
      num /= g;
      den /= g;
    }
  }

  /** Parses {@code 25}, {@code 29.97} or {@code 30000/1001}. */
  public static FrameRate parse(String text) {
    String t = text.trim();
    try {
      int slash = t.indexOf('/');
      if (slash >= 0) {
        return new FrameRate(Long.parseLong(t.substring(0, slash).trim()), Long.parseLong(t.substring(slash + 1).trim()));
      }
      java.math.BigDecimal d = new java.math.BigDecimal(t);
      if (d.signum() <= 0) {
        throw new IllegalArgumentException("frame rate must be positive: " + text);
      }
      java.math.BigDecimal scaled = d.movePointRight(Math.max(0, d.scale()));
      return new FrameRate(scaled.longValueExact(), java.math.BigInteger.TEN.pow(Math.max(0, d.scale())).longValueExact());
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("not a frame rate: '" + text + "' (expected e.g. 25, 29.97 or 30000/1001)", e);
    }
  }

  public boolean isKnown() {
    return num > 0;
  }

  public double fps() {
    return (double) num / den;
  }

  /**
   * Index of the nominal frame nearest to stream time {@code ptsUs}: frame {@code j} sits at
   * {@code j * den / num} seconds.
   */
  public long gridIndexOf(long ptsUs) {
    requireKnown();
    long scale = Math.multiplyExact(den, 1_000_000L);
    return Math.floorDiv(Math.addExact(Math.multiplyExact(2 * ptsUs, num), scale), 2 * scale);
  }

  /** The first grid index whose time is at or after {@code timeUs}. */
  public long firstGridIndexAtOrAfter(long timeUs) {
    requireKnown();
    return -Math.floorDiv(-Math.multiplyExact(timeUs, num), Math.multiplyExact(den, 1_000_000L));
  }

  /** Stream time of grid index {@code j} in microseconds, rounded down. */
  public long timeUsOf(long gridIndex) {
    requireKnown();
    return Math.floorDiv(Math.multiplyExact(gridIndex, Math.multiplyExact(den, 1_000_000L)), num);
  }

  private void requireKnown() {
    if (!isKnown()) {
      throw new IllegalStateException("frame rate is unknown");
    }
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String toString() {
    return den == 1 ? Long.toString(num) : num + "/" + den;
  }
}
