package dev.pestream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.models.runtime.RuntimeOptions;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract bundle's engineered answers (models/contract/README.md), end to end through the Java API. */
class ContractAnswersTest {
  private static Models models;
  private static double threshold;

  @BeforeAll
  static void open() {
    models = Models.open(TestBundles.dir(), RuntimeOptions.cpu());
    threshold = models.manifest().head("frame_audio").thresholdOr(Double.NaN);
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static java.util.List<Double> frameProbabilities(float[] waveform, String prompt) {
    float[][] perFrame = models.frameLevelAudio().embed(models.audioCodec().encode(waveform));
    float[] text = models.text().embed(prompt, "frame_audio");
    HeadSpec head = models.manifest().head("frame_audio");
    return Arrays.stream(perFrame).map(e -> head.probability(e, text)).toList();
  }

  @Test
  void manifestConstantsAreExposed() {
    var m = models.manifest();
    assertThat(models.isContract()).isTrue();
    assertThat(m.modelId()).isEqualTo("pestream/contract-pe-av");
    assertThat(m.audio().sampleRate()).isEqualTo(48_000);
    assertThat(m.audio().hopSamples()).isEqualTo(1920);
    assertThat(m.audio().frameDurationUs()).isEqualTo(40_000);
    assertThat(m.video().imageSize()).isEqualTo(224);
    assertThat(m.video().mean()).containsExactly(0.5, 0.5, 0.5);
    assertThat(m.embeddingDim()).isEqualTo(1024);
    assertThat(m.video().frameFeatureDim()).isEqualTo(1024);
    assertThat(threshold).isEqualTo(0.3);
    assertThat(m.head("audio").logitScale()).isEqualTo(10.0);
    assertThat(m.head("audio").logitBias()).isEqualTo(-5.0);
  }

  @Test
  void toneStartingAndEndingMidFrameScoresBeepOnExactlyItsFrames() {
    // 10 frames; the 1 kHz tone covers [2.5, 6.5) frames: frames 2..6 sound (2 and 6 half).
    float[] x = Signals.tone(10, 1000, 2 * 1920 + 960, 6 * 1920 + 960, 0.5);
    var beep = frameProbabilities(x, "beep");
    var silence = frameProbabilities(x, "silence");
    for (int f = 0; f < 10; f++) {
      boolean sounds = f >= 2 && f <= 6;
      assertThat(beep.get(f)).as("beep on frame %d", f).matches(p -> sounds ? p > threshold : p < threshold);
      assertThat(silence.get(f)).as("silence on frame %d", f).matches(p -> sounds ? p < threshold : p > threshold);
    }
    assertThat(frameProbabilities(x, "hum")).allMatch(p -> p < threshold);
    assertThat(frameProbabilities(x, "dog")).as("unknown word").allMatch(p -> p < threshold);
  }

  @Test
  void humAndNoiseLandOnTheirOwnWords() {
    float[] hum = Signals.tone(4, 100, 0, 4 * 1920, 0.5);
    assertThat(frameProbabilities(hum, "hum")).allMatch(p -> p > threshold);
    assertThat(frameProbabilities(hum, "beep")).allMatch(p -> p < threshold);
    float[] noise = Signals.noise(4, 0.5, 7);
    assertThat(frameProbabilities(noise, "noise")).allMatch(p -> p > threshold);
    assertThat(frameProbabilities(noise, "hiss")).allMatch(p -> p > threshold);
    assertThat(frameProbabilities(noise, "beep")).allMatch(p -> p < threshold);
  }

  @Test
  void codecFramesDoNotDependOnNeighbours() {
    float[] x = Signals.tone(8, 1000, 3000, 9000, 0.5);
    float[][] whole = models.audioCodec().encode(x);
    float[][] first = models.audioCodec().encode(Arrays.copyOfRange(x, 0, 4 * 1920));
    float[][] second = models.audioCodec().encode(Arrays.copyOfRange(x, 4 * 1920, 8 * 1920));
    assertThat(whole).hasNumberOfRows(8);
    assertThat(whole[0]).hasSize(128);
    for (int f = 0; f < 4; f++) {
      assertThat(first[f]).containsExactly(whole[f], within(1e-6f));
      assertThat(second[f]).containsExactly(whole[f + 4], within(1e-6f));
    }
  }

  private static float[] videoEmbedding(int r, int g, int b) {
    FrameEncoder fe = models.frameEncoder();
    float[] frame = fe.encode(fe.toPixelValues(Signals.solid(224, r, g, b), 224, 224));
    return models.videoEncoder().embed(new float[][] {frame});
  }

  @Test
  void framesEncodeTheirMeanColour() {
    float[] red = videoEmbedding(255, 0, 0);
    assertThat(models.text().probability(red, "red", "video")).isGreaterThan(0.9);
    assertThat(models.text().probability(red, "blue", "video")).isLessThan(0.05);
    assertThat(models.text().probability(red, "a red frame", "video")).as("stop words do not count").isGreaterThan(0.9);
    float[] yellow = videoEmbedding(250, 245, 10);
    assertThat(models.text().probability(yellow, "yellow", "video")).isGreaterThan(0.9);
    assertThat(models.text().probability(yellow, "red", "video")).isLessThan(0.05);
    assertThat(models.text().probability(yellow, "dog", "video")).isLessThan(0.05);
    float[] black = videoEmbedding(0, 0, 0);
    assertThat(models.text().probability(black, "black", "video")).isGreaterThan(0.9);
    assertThat(models.text().probability(black, "dark", "video")).isGreaterThan(0.9);
    assertThat(models.text().probability(black, "white", "video")).isLessThan(0.05);
  }

  @Test
  void audioWindowEmbeddingPoolsItsFrames() {
    float[][] toneFeatures = models.audioCodec().encode(Signals.tone(5, 1000, 0, 5 * 1920, 0.5));
    float[] audio = models.audioEncoder().embed(toneFeatures);
    assertThat(models.text().probability(audio, "beep", "audio")).isGreaterThan(0.9);
    assertThat(models.text().probability(audio, "silence", "audio")).isLessThan(0.05);
    // Half tone, half silence: the beep direction is the masked mean (~0.5 -> logit ~0).
    float[][] half = models.audioCodec().encode(Signals.tone(4, 1000, 0, 2 * 1920, 0.5));
    float[] mixed = models.audioEncoder().embed(half);
    float[] beep = models.text().embed("beep", "audio");
    assertThat(dot(mixed, beep)).isCloseTo(0.5, within(0.02));
  }

  @Test
  void avEncoderAlignsVideoFramesToAudioFramesByNearestNeighbour() {
    FrameEncoder fe = models.frameEncoder();
    float[] red = fe.encode(fe.toPixelValues(Signals.solid(224, 255, 0, 0), 224, 224));
    float[] green = fe.encode(fe.toPixelValues(Signals.solid(224, 0, 255, 0), 224, 224));
    float[][] audio = models.audioCodec().encode(Signals.tone(3, 1000, 0, 3 * 1920, 0.5));
    // 3 audio frames, 2 video frames: audio frame i reads video floor(i * 2 / 3) = 0, 0, 1.
    float[] av = models.avEncoder().embed(audio, new float[][] {red, green});
    assertThat(dot(av, models.text().embed("red", "audio_video"))).isCloseTo(2.0 / 3, within(0.01));
    assertThat(dot(av, models.text().embed("green", "audio_video"))).isCloseTo(1.0 / 3, within(0.01));
    assertThat(models.text().probability(av, "beep", "audio_video")).isGreaterThan(0.9);
    // Multi-word prompts average their words: "red beep" = (2/3 + 1) / 2.
    assertThat(dot(av, models.text().embed("red beep", "audio_video"))).isCloseTo(5.0 / 6, within(0.01));
  }

  @Test
  void textIsTruncatedAndCached() {
    String longPrompt = "beep ".repeat(2000);
    assertThat(models.text().tokenizer().encode(longPrompt).ids()).hasSize(512);
    float[] beepLong = models.text().embed(longPrompt, "frame_audio");
    float[] beep = models.text().embed("beep", "frame_audio");
    assertThat(beepLong).containsExactly(beep, within(1e-6f));

    int cached = models.text().cache().size();
    float[] again = models.text().embed("Beep!", "frame_audio");
    assertThat(again).containsExactly(beep, within(1e-6f));
    assertThat(models.text().cache().size()).isEqualTo(cached + 1);
    float[] once = models.text().embed("Beep!", "audio");
    assertThat(models.text().cache().size()).as("all heads of a graph share one entry").isEqualTo(cached + 1);
    once[0] = 42;
    assertThat(models.text().embed("Beep!", "audio")[0]).as("callers get copies").isNotEqualTo(42);
    assertThat(dot(models.text().embed("beep dog", "frame_audio"), beep)).as("unknown words dilute").isCloseTo(0.5,
        within(1e-5));
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
