package dev.pestream.models.bundle;

import java.util.List;

/** Preprocessing constants the Java side needs, grouped as in the manifest. */
public final class MediaSpecs {
  private MediaSpecs() {}

  /** Audio: mono float waveform at {@code sampleRate}, one feature row per {@code hopSamples}. */
  public record Audio(int sampleRate, int hopSamples, int featureDim, int codecContextFrames) {
    public Audio {
      if (sampleRate <= 0 || hopSamples <= 0 || featureDim <= 0 || codecContextFrames < 0) {
        throw new IllegalArgumentException("audio: sampleRate, hopSamples and featureDim must be > 0");
      }
    }

    /** Duration of one feature frame in microseconds (40 ms for 1920 samples at 48 kHz). */
    public long frameDurationUs() {
      return hopSamples * 1_000_000L / sampleRate;
    }
  }

  /** Video: frames resized to {@code imageSize} squared, then {@code (x/255 - mean) / std} per channel. */
  public record Video(int imageSize, List<Double> mean, List<Double> std, String resize,
                      String framePolicy, int frameFeatureDim) {
    public Video {
      if (imageSize <= 0 || frameFeatureDim <= 0) {
        throw new IllegalArgumentException("video: imageSize and frameFeatureDim must be > 0");
      }
      if (mean == null || std == null || mean.size() != 3 || std.size() != 3) {
        throw new IllegalArgumentException("video: mean and std need 3 values (R, G, B)");
      }
      if (std.stream().anyMatch(s -> s <= 0)) {
        throw new IllegalArgumentException("video: std values must be > 0");
      }
      mean = List.copyOf(mean);
      std = List.copyOf(std);
    }
  }

  /** Text: the tokenizer file (HF tokenizers JSON) and the maximum token count (truncation). */
  public record Text(String tokenizer, int maxLength) {
    public Text {
      if (tokenizer == null || tokenizer.isBlank() || maxLength <= 0) {
        throw new IllegalArgumentException("text: needs 'tokenizer' and maxLength > 0");
      }
    }
  }
}
