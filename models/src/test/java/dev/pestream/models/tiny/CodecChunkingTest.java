package dev.pestream.models.tiny;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.AudioCodec;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.BatchingOptions;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Audio crossing chunk boundaries through the tiny bundle's real DAC codec: codec calls on chunks
 * carrying the manifest's {@code codecContextFrames} of context on each side (fewer at the clip's ends)
 * give the whole-clip features; with one frame less they do not.
 */
class CodecChunkingTest {
  private static final int CHUNK_FRAMES = 7;

  /** Features of {@code waveform} chunk by chunk, each call with up to {@code context} frames either side. */
  static float[][] chunked(AudioCodec codec, float[] waveform, int hop, int context) {
    int total = waveform.length / hop;
    float[][] out = new float[total][];
    for (int start = 0; start < total; start += CHUNK_FRAMES) {
      int end = Math.min(total, start + CHUNK_FRAMES);
      int left = Math.min(context, start);
      int right = Math.min(context, total - end);
      float[][] features = codec.encode(Arrays.copyOfRange(waveform, (start - left) * hop, (end + right) * hop));
      System.arraycopy(features, left, out, start, end - start);
    }
    return out;
  }

  @Test
  void chunkedFeaturesWithTheManifestOverlapEqualWholeClipFeatures() {
    try (Models models = Models.open(TinyRandomFixture.bundleDir(), RuntimeOptions.builder()
        .providers(ExecutionProvider.CPU).batching(BatchingOptions.of(1, Duration.ZERO)).graphs("audio_codec").build())) {
      var audio = models.manifest().audio();
      var reference = TinyRandomFixture.reference();
      int frames = reference.get("longFrames").asInt();
      float[] waveform = TinyRandomFixture.waveform(0, frames, audio.hopSamples(), audio.sampleRate());
      float[][] whole = models.audioCodec().encode(waveform);
      assertThat(TinyRandomFixture.cosine(whole, TinyRandomFixture.matrix(reference.get("longCodecFeatures"))))
          .isGreaterThanOrEqualTo(0.9999);

      int context = audio.codecContextFrames();
      double scale = TinyRandomFixture.maxAbs(whole);
      double withContext = TinyRandomFixture.maxAbsDifference(
          chunked(models.audioCodec(), waveform, audio.hopSamples(), context), whole);
      double oneLess = TinyRandomFixture.maxAbsDifference(
          chunked(models.audioCodec(), waveform, audio.hopSamples(), context - 1), whole);
      assertThat(withContext).isLessThan(1e-5 * scale);
      assertThat(oneLess).isGreaterThan(1e-4 * scale);
    }
  }
}
