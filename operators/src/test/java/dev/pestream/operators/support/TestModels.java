package dev.pestream.operators.support;

import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.operators.encode.EncodedChunk;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test support: the committed contract bundle (models/bundles/contract) and audio with known content. */
public final class TestModels {
  public static final int RATE = 48_000;
  public static final int HOP = 1920;

  private TestModels() {}

  public static Path contractBundle() {
    Path dir = Path.of("..", "models", "bundles", "contract").toAbsolutePath().normalize();
    if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
      throw new IllegalStateException("contract bundle not found at " + dir);
    }
    return dir;
  }

  public static ModelsSpec contract() {
    return new ModelsSpec(contractBundle().toString(), RuntimeOptions.cpu());
  }

  /** {@code seconds} of silence with a 1 kHz sine over [fromS, toS). */
  public static float[] toneWaveform(double seconds, double fromS, double toS) {
    float[] x = new float[(int) Math.round(seconds * RATE)];
    int from = (int) Math.round(fromS * RATE);
    int to = (int) Math.round(toS * RATE);
    for (int n = from; n < Math.min(to, x.length); n++) {
      x[n] = (float) (0.5 * Math.sin(2 * Math.PI * 1000 * (n - from) / RATE));
    }
    return x;
  }

  /** An encoded audio-only chunk of the given codec features, one second per chunk of 25 frames. */
  public static EncodedChunk audioChunk(String stream, long seq, long firstFrame, float[][] features, long ingestMs) {
    EncodedChunk c = new EncodedChunk();
    c.streamId = stream;
    c.seq = seq;
    c.firstAudioFrame = firstFrame;
    c.audioFrameCount = features.length;
    c.audioFeatureDim = features.length == 0 ? 128 : features[0].length;
    c.audioFeatures = new float[features.length * c.audioFeatureDim];
    for (int i = 0; i < features.length; i++) {
      System.arraycopy(features[i], 0, c.audioFeatures, i * c.audioFeatureDim, c.audioFeatureDim);
    }
    c.startUs = firstFrame * 40_000;
    c.endUs = (firstFrame + features.length) * 40_000;
    c.audioEndUs = c.endUs;
    c.ingestTimeMs = ingestMs;
    return c;
  }
}
