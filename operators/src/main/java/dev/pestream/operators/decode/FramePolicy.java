package dev.pestream.operators.decode;

import java.io.Serializable;

/**
 * Which decoded video frames the pipeline keeps. Frames are identified by their index on the
 * stream's nominal frame grid ({@link FrameRate#gridIndexOf}), so the choice is the same whichever
 * chunk a frame arrives in.
 *
 * <ul>
 *   <li>{@code native}: every frame (pe-av-* models).
 *   <li>{@code fps:N}: the first grid frame of each {@code 1/N}-second slot, i.e. frame {@code j}
 *       is kept when {@code floor(j * N / fps) > floor((j - 1) * N / fps)}; all frames when
 *       {@code N >= fps}.
 *   <li>{@code uniform:K}: the frames some window selects by {@link UniformSampling} (the
 *       -16-frame models use K = 16), for windows of length W and hop H on the stream clock.
 * </ul>
 */
public sealed interface FramePolicy extends Serializable
    permits FramePolicy.Native, FramePolicy.Fps, FramePolicy.Uniform {

  /** Whether grid frame {@code gridIndex} of a stream with nominal rate {@code rate} is kept. */
  boolean keeps(long gridIndex, FrameRate rate);

  /** Whether {@link #keeps} needs a known nominal frame rate. */
  default boolean needsFrameRate() {
    return true;
  }

  /** The policy as written in configuration. */
  String spec();

  /**
   * Parses {@code native}, {@code fps:N} or {@code uniform:K}; {@code windowUs}/{@code hopUs} are
   * the window length and hop the uniform policy samples for (ignored by the others).
   */
  static FramePolicy parse(String spec, long windowUs, long hopUs) {
    String s = spec == null ? "" : spec.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.equals("native")) {
      return new Native();
    }
    if (s.startsWith("fps:")) {
      return new Fps(FrameRate.parse(s.substring(4)));
    }
    if (s.startsWith("uniform:")) {
      try {
        return new Uniform(Integer.parseInt(s.substring(8).trim()), windowUs, hopUs);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad frame policy '" + spec + "': K must be an integer", e);
      }
    }
    throw new IllegalArgumentException(
        "unknown frame policy '" + spec + "' (expected native, fps:N or uniform:K)");
  }

  /** Every decoded frame. */
  record Native() implements FramePolicy {
    @Override
    public boolean keeps(long gridIndex, FrameRate rate) {
      return true;
    }

    @Override
    public boolean needsFrameRate() {
      return false;
    }

    @Override
    public String spec() {
      return "native";
    }
  }

  /** About {@code rate} frames per second: the first grid frame of each slot. */
  record Fps(FrameRate rate) implements FramePolicy {
    public Fps {
      if (!rate.isKnown()) {
        throw new IllegalArgumentException("fps:N needs N > 0");
      }
    }

    @Override
    public boolean keeps(long j, FrameRate nominal) {
      long scale = Math.multiplyExact(rate.den(), nominal.num());
      long slot = Math.floorDiv(Math.multiplyExact(j, Math.multiplyExact(rate.num(), nominal.den())), scale);
      long previous = Math.floorDiv(Math.multiplyExact(j - 1, Math.multiplyExact(rate.num(), nominal.den())), scale);
      return slot != previous;
    }

    @Override
    public String spec() {
      return "fps:" + rate;
    }
  }

  /** {@code frames} evenly spaced frames per window of {@code windowUs}, hop {@code hopUs}. */
  record Uniform(int frames, long windowUs, long hopUs) implements FramePolicy {
    public Uniform {
      if (frames < 2) {
        throw new IllegalArgumentException("uniform:K needs K >= 2, got " + frames);
      }
      if (windowUs <= 0 || hopUs <= 0) {
        throw new IllegalArgumentException("uniform:K needs a positive window and hop, got " + windowUs + "/" + hopUs + " us");
      }
    }

    @Override
    public boolean keeps(long j, FrameRate nominal) {
      return UniformSampling.isSelected(j, windowUs, hopUs, frames, nominal);
    }

    /** The grid indices window {@code w} selects. */
    public long[] selectedGridIndices(long w, FrameRate nominal) {
      return UniformSampling.selectedGridIndices(w, windowUs, hopUs, frames, nominal);
    }

    @Override
    public String spec() {
      return "uniform:" + frames;
    }
  }
}
