package dev.pestream.operators.decode;

/**
 * The audio clock of the pipeline: mono 48 kHz, samples placed by absolute index on the stream
 * clock ({@code sampleIndex = round(ptsUs * 48000 / 1e6)}, docs/architecture.md).
 */
public final class AudioClock {
  /** Sample rate every decoded audio signal is resampled to (PE audio models read 48 kHz). */
  public static final int SAMPLE_RATE = 48_000;

  private AudioClock() {}

  /** The sample index at stream time {@code ptsUs}, rounded half up. */
  public static long sampleIndexOf(long ptsUs) {
    return Math.floorDiv(Math.multiplyExact(ptsUs, (long) SAMPLE_RATE) + 500_000L, 1_000_000L);
  }

  /** Stream time of sample {@code index} in microseconds, rounded half up. */
  public static long timeUsOf(long sampleIndex) {
    return Math.floorDiv(Math.multiplyExact(sampleIndex, 1_000_000L) + SAMPLE_RATE / 2, (long) SAMPLE_RATE);
  }
}
