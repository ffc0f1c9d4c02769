package dev.pestream.operators.testing;

import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.VideoPreprocessing;

/** Reading test expectations back out of a {@link DecodedChunk}. */
public final class DecodedMedia {
  private DecodedMedia() {}

  /** The {@link SyntheticMedia#PALETTE} index nearest to the mean colour of frame {@code f}. */
  public static int paletteIndexOf(DecodedChunk chunk, int f, VideoPreprocessing preprocessing) {
    int plane = chunk.imageSize * chunk.imageSize;
    double[] mean = new double[3];
    for (int c = 0; c < 3; c++) {
      double sum = 0;
      int base = chunk.frameOffset(f) + c * plane;
      for (int i = 0; i < plane; i++) {
        sum += chunk.pixels[base + i];
      }
      mean[c] = preprocessing.byteValueOf(c, (float) (sum / plane));
    }
    return SyntheticMedia.nearestPaletteIndex(mean[0], mean[1], mean[2]);
  }

  /** Palette indices of all frames, in order. */
  public static int[] paletteIndices(DecodedChunk chunk, VideoPreprocessing preprocessing) {
    int[] out = new int[chunk.frameCount()];
    for (int f = 0; f < out.length; f++) {
      out[f] = paletteIndexOf(chunk, f, preprocessing);
    }
    return out;
  }

  /** Absolute 48 kHz sample index of the first tone onset in the chunk, or -1. */
  public static long onsetSample(DecodedChunk chunk) {
    int i = SyntheticMedia.onsetIndex(chunk.audio, 0);
    return i < 0 ? -1 : chunk.audioStartSample + i;
  }

  /** Stream time in microseconds of {@link #onsetSample}. */
  public static long onsetUs(DecodedChunk chunk) {
    long s = onsetSample(chunk);
    return s < 0 ? -1 : AudioClock.timeUsOf(s);
  }
}
