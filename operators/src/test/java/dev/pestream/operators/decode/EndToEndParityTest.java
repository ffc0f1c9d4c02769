package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.spans.SpanDecoder;
import dev.pestream.operators.spans.SpanEvent;
import dev.pestream.operators.spans.SpanRule;
import dev.pestream.operators.spans.SpanTrack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * From the file to the embedding: the fixture media (models/fixtures/preprocessing) through the
 * decode stage and the tiny-random bundle (the real PE-AV + PE-A-Frame architecture, random
 * weights) vs transformers' models on the transformers-processed media, window by window
 * (end-to-end.json, written by {@code python -m pestream_export preprocessing-fixture}): audio,
 * video and audio-video embeddings at cos >= 0.999, PE-A-Frame frame probabilities, and spans by
 * the reference rule. Each window is one clip on both sides, as the reference scores clips; the
 * job's streaming codec (features of the whole stream, CodecChunkingTest) is not what this checks.
 */
class EndToEndParityTest {
  private static final Path FIXTURE = Path.of("..", "models", "fixtures", "preprocessing");
  private static final Path BUNDLE = Path.of("..", "models", "bundles", "tiny-random");
  private static final double MIN_COSINE = 0.999;
  private static final double MAX_PROBABILITY_DIFFERENCE = 1e-3;

  private static JsonNode reference;
  private static Models models;

  @BeforeAll
  static void open() throws Exception {
    reference = new ObjectMapper().readTree(FIXTURE.resolve("end-to-end.json").toFile());
    models = Models.open(BUNDLE, RuntimeOptions.builder().providers(ExecutionProvider.CPU).build());
  }

  @AfterAll
  static void close() {
    models.close();
  }

  @Test
  void everyWindowMatchesTransformersOnTheProcessedMedia() throws Exception {
    int size = models.manifest().video().imageSize();
    int hop = models.manifest().audio().hopSamples();
    long frameUs = 1_000_000L * hop / models.manifest().audio().sampleRate();
    HeadSpec head = models.manifest().head("frame_audio");
    float[] prompt = models.text().embed(reference.get("prompt").asText(), "frame_audio");
    double worstCosine = 1;
    double worstProbability = 0;
    int windows = 0;
    int spans = 0;
    for (JsonNode file : reference.get("files")) {
      DecodedChunk chunk;
      try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(size))) {
        chunk = decoder.decode(Files.readAllBytes(FIXTURE.resolve(file.get("file").asText())), 0);
      }
      for (JsonNode window : file.get("windows")) {
        String where = file.get("file").asText() + " @" + window.get("startSample").asInt();
        float[] audio = Arrays.copyOfRange(chunk.audio, window.get("startSample").asInt(), window.get("endSample").asInt());
        float[][] features = models.audioCodec().encode(audio);
        List<float[]> frameFeatures = new ArrayList<>();
        List<Long> picked = new ArrayList<>();
        long startUs = window.get("startSample").asLong() * 1_000_000 / 48_000;
        long endUs = window.get("endSample").asLong() * 1_000_000 / 48_000;
        for (int f = 0; f < chunk.frameCount(); f++) {
          long t = chunk.frameRate().timeUsOf(chunk.frameIndex[f]);
          if (t >= startUs && t < endUs) {
            picked.add(chunk.frameIndex[f]);
            frameFeatures.add(models.frameEncoder().encode(
                Arrays.copyOfRange(chunk.pixels, chunk.frameOffset(f), chunk.frameOffset(f + 1))));
          }
        }
        List<Long> expectedFrames = new ArrayList<>();
        window.get("frameIndices").forEach(j -> expectedFrames.add(j.asLong()));
        assertThat(picked).as("%s frames", where).isEqualTo(expectedFrames);
        float[][] frames = frameFeatures.toArray(float[][]::new);

        worstCosine = Math.min(worstCosine, checkCosine(where + " audio", models.audioEncoder().embed(features), window.get("audioEmbedding")));
        worstCosine = Math.min(worstCosine, checkCosine(where + " video", models.videoEncoder().embed(frames), window.get("videoEmbedding")));
        worstCosine = Math.min(worstCosine, checkCosine(where + " audio-video", models.avEncoder().embed(features, frames),
            window.get("audioVideoEmbedding")));

        float[][] perFrame = models.frameLevelAudio().embed(features);
        JsonNode expected = window.get("frameProbabilities");
        assertThat(perFrame.length).isEqualTo(expected.size());
        float[] probs = new float[perFrame.length];
        for (int i = 0; i < perFrame.length; i++) {
          probs[i] = (float) head.probability(perFrame[i], prompt);
          assertThat((double) probs[i]).as("%s frame %d probability", where, i)
              .isCloseTo(expected.get(i).asDouble(), within(MAX_PROBABILITY_DIFFERENCE));
          worstProbability = Math.max(worstProbability, Math.abs(probs[i] - expected.get(i).asDouble()));
        }
        long durationUs = endUs - startUs;
        assertSpans(where, probs, head.threshold().floatValue(), frameUs, durationUs, window.get("spans"));
        assertSpans(where + " (median threshold)", probs, (float) window.get("medianThreshold").asDouble(), frameUs,
            durationUs, window.get("medianSpans"));
        spans += window.get("spans").size() + window.get("medianSpans").size();
        windows++;
      }
    }
    System.out.printf(Locale.ROOT, "end to end: %d windows, worst embedding cos %.7f, worst probability |diff| %.2e, %d spans%n",
        windows, worstCosine, worstProbability, spans);
    assertThat(windows).isGreaterThanOrEqualTo(12);
    assertThat(spans).as("spans compared").isPositive();
  }

  private static double checkCosine(String what, float[] actual, JsonNode expected) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    assertThat(actual).as(what).hasSize(expected.size());
    for (int i = 0; i < actual.length; i++) {
      double b = expected.get(i).asDouble();
      dot += actual[i] * b;
      na += (double) actual[i] * actual[i];
      nb += b * b;
    }
    double cos = dot / Math.sqrt(na * nb);
    assertThat(cos).as("%s cosine", what).isGreaterThanOrEqualTo(MIN_COSINE);
    return cos;
  }

  /** The span decoder in reference mode over the window's frames, as SpanRuleParityTest runs it. */
  private static void assertSpans(String where, float[] probs, float threshold, long frameUs, long durationUs, JsonNode expected) {
    SpanDecoder decoder = new SpanDecoder(SpanRule.reference(threshold), frameUs);
    SpanTrack track = new SpanTrack();
    List<SpanEvent> events = new ArrayList<>();
    for (int f = 0; f < probs.length && (long) f * frameUs < durationUs; f++) {
      decoder.advance(track, f, probs[f], 0, events::add);
    }
    decoder.finish(track, durationUs, events::add);
    List<double[]> spans = new ArrayList<>();
    for (SpanEvent e : events) {
      if (!e.open()) {
        spans.add(new double[] {e.startUs(frameUs) / 1e6, e.endUs() / 1e6});
      }
    }
    assertThat(spans).as("%s spans", where).hasSize(expected.size());
    for (int i = 0; i < spans.size(); i++) {
      assertThat(spans.get(i)[0]).as("%s span %d start", where, i).isCloseTo(expected.get(i).get(0).asDouble(), within(1e-6));
      assertThat(spans.get(i)[1]).as("%s span %d end", where, i).isCloseTo(expected.get(i).get(1).asDouble(), within(1e-6));
    }
  }
}
