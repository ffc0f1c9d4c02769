package dev.pestream.models.tiny;

import static dev.pestream.models.tiny.TinyRandomFixture.cosine;
import static dev.pestream.models.tiny.TinyRandomFixture.matrix;
import static dev.pestream.models.tiny.TinyRandomFixture.pixels;
import static dev.pestream.models.tiny.TinyRandomFixture.vector;
import static dev.pestream.models.tiny.TinyRandomFixture.waveform;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.runtime.BatchingOptions;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exporter's tiny random-init bundle (real PE-AV + PE-A-Frame graph structure) through the
 * project's runtime — manifest loading, shared sessions, batching with padding and masks — against
 * PyTorch's outputs for the same inputs (transformers' forward, unbatched) at cos >= 0.9999.
 */
class TinyRandomBundleTest {
  private static final double MIN_COSINE = 0.9999;
  /** Two requests per batch, held up to 5 s: the clips of different lengths run padded and masked together. */
  private static final BatchingOptions PAIRS = BatchingOptions.of(2, Duration.ofSeconds(5));

  private static JsonNode reference;
  private static Models single;
  private static Models paired;
  private static final List<String> pairedBatches = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void open() {
    reference = TinyRandomFixture.reference();
    single = Models.open(TinyRandomFixture.bundleDir(), RuntimeOptions.builder().providers(ExecutionProvider.CPU)
        .batching(BatchingOptions.of(8, Duration.ZERO)).build());
    paired = Models.open(TinyRandomFixture.bundleDir(), RuntimeOptions.builder().providers(ExecutionProvider.CPU)
        .batching(PAIRS).graphs("audio_codec", "audio_encoder", "frame_level_audio", "video_encoder", "av_encoder")
        .build());
    for (String graph : paired.graphs()) {
      paired.session(graph).addListener(e -> pairedBatches.add(e.graph() + ":" + e.batchSize()));
    }
  }

  @AfterAll
  static void close() {
    if (paired != null) {
      paired.close();
    }
    if (single != null) {
      single.close();
    }
  }

  /** Batch listeners fire after the batch's futures complete: wait for the event. */
  private static void assertRanAsOneBatchOfTwo(String graph) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!pairedBatches.contains(graph + ":2") && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(pairedBatches).contains(graph + ":2");
  }

  private static int clips() {
    return reference.get("audioFrames").size();
  }

  private static float[] clipWaveform(int clip) {
    BundleManifest m = single.manifest();
    return waveform(clip, reference.get("audioFrames").get(clip).asInt(), m.audio().hopSamples(), m.audio().sampleRate());
  }

  /** Codec features of each clip, one unbatched call each (as PyTorch computed them). */
  private static List<float[][]> codecFeatures() {
    List<float[][]> out = new ArrayList<>();
    for (int clip = 0; clip < clips(); clip++) {
      out.add(single.audioCodec().encode(clipWaveform(clip)));
    }
    return out;
  }

  private static List<float[][]> frameFeatures() {
    int size = single.manifest().video().imageSize();
    List<float[][]> out = new ArrayList<>();
    for (int clip = 0; clip < clips(); clip++) {
      int frames = reference.get("videoFrames").get(clip).asInt();
      List<CompletableFuture<float[]>> futures = new ArrayList<>();
      for (int f = 0; f < frames; f++) {
        futures.add(single.frameEncoder().encodeAsync(pixels(clip, f, size)));
      }
      out.add(futures.stream().map(CompletableFuture::join).toArray(float[][]::new));
    }
    return out;
  }

  private static JsonNode clip(int clip) {
    return reference.get("clips").get(clip);
  }

  @Test
  void manifestDescribesARealArchitectureExport() {
    BundleManifest m = single.manifest();
    assertThat(m.contract()).isFalse();
    assertThat(m.description()).contains("RANDOM weights");
    assertThat(m.audio().codecContextFrames()).isEqualTo(6);
    assertThat(m.head("frame_audio").graph()).isEqualTo("text_encoder_frame");
    assertThat(m.head("audio_video").graph()).isEqualTo("text_encoder");
    assertThat(m.head("frame_audio").threshold()).isEqualTo(0.3);
    assertThat(single.graphs()).contains("audio_codec", "frame_encoder", "audio_encoder", "video_encoder", "av_encoder",
        "frame_level_audio", "text_encoder", "text_encoder_frame");
  }

  @Test
  void codecFeaturesMatchPyTorch() {
    List<float[][]> features = codecFeatures();
    for (int clip = 0; clip < clips(); clip++) {
      float[][] expected = matrix(clip(clip).get("codecFeatures"));
      assertThat(features.get(clip).length).isEqualTo(expected.length);
      assertThat(cosine(features.get(clip), expected)).as("clip %d", clip).isGreaterThanOrEqualTo(MIN_COSINE);
    }
  }

  /**
   * The codec has no mask: zero padding to a longer clip's length would leak into a shorter clip's
   * last codecContextFrames frames. So clips of different lengths submitted together run in
   * separate batches, and every frame of each matches PyTorch, the last ones included.
   */
  @Test
  void codecCallsOfDifferentLengthsRunApartSoEveryFrameMatches() {
    List<CompletableFuture<float[][]>> futures = new ArrayList<>();
    for (int clip = 0; clip < clips(); clip++) {
      futures.add(paired.audioCodec().encodeAsync(clipWaveform(clip)));
    }
    for (int clip = 0; clip < clips(); clip++) {
      float[][] actual = futures.get(clip).join();
      float[][] expected = matrix(clip(clip).get("codecFeatures"));
      assertThat(actual).hasNumberOfRows(expected.length);
      double scale = TinyRandomFixture.maxAbs(expected);
      for (int f = 0; f < expected.length; f++) {
        for (int d = 0; d < expected[f].length; d++) {
          assertThat((double) Math.abs(actual[f][d] - expected[f][d])).as("clip %d frame %d", clip, f)
              .isLessThan(1e-4 * scale);
        }
      }
    }
    assertThat(pairedBatches).doesNotContain("audio_codec:2");
  }

  @Test
  void audioEmbeddingsMatchPyTorchWhenBatchedWithPadding() {
    List<float[][]> features = codecFeatures();
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (float[][] f : features) {
      futures.add(paired.audioEncoder().embedAsync(f));
    }
    for (int clip = 0; clip < clips(); clip++) {
      assertThat(cosine(futures.get(clip).join(), vector(clip(clip).get("audioEmbedding"))))
          .as("clip %d", clip).isGreaterThanOrEqualTo(MIN_COSINE);
    }
    assertRanAsOneBatchOfTwo("audio_encoder");
  }

  @Test
  void frameLevelEmbeddingsMatchPyTorchWhenBatchedWithPadding() {
    List<float[][]> features = codecFeatures();
    List<CompletableFuture<float[][]>> futures = new ArrayList<>();
    for (float[][] f : features) {
      futures.add(paired.frameLevelAudio().embedAsync(f));
    }
    for (int clip = 0; clip < clips(); clip++) {
      float[][] expected = matrix(clip(clip).get("frameEmbeddings"));
      float[][] actual = futures.get(clip).join();
      assertThat(actual.length).isEqualTo(expected.length);
      for (int f = 0; f < expected.length; f++) {
        assertThat(cosine(actual[f], expected[f])).as("clip %d frame %d", clip, f).isGreaterThanOrEqualTo(MIN_COSINE);
      }
    }
    assertRanAsOneBatchOfTwo("frame_level_audio");
  }

  @Test
  void videoPathMatchesPyTorchWhenBatchedWithPadding() {
    List<float[][]> frames = frameFeatures();
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (int clip = 0; clip < clips(); clip++) {
      float[][] expected = matrix(clip(clip).get("frameFeatures"));
      for (int f = 0; f < expected.length; f++) {
        assertThat(cosine(frames.get(clip)[f], expected[f])).as("clip %d frame %d", clip, f)
            .isGreaterThanOrEqualTo(MIN_COSINE);
      }
      futures.add(paired.videoEncoder().embedAsync(frames.get(clip)));
    }
    for (int clip = 0; clip < clips(); clip++) {
      assertThat(cosine(futures.get(clip).join(), vector(clip(clip).get("videoEmbedding"))))
          .as("clip %d", clip).isGreaterThanOrEqualTo(MIN_COSINE);
    }
    assertRanAsOneBatchOfTwo("video_encoder");
  }

  @Test
  void audioVideoEmbeddingsMatchPyTorchWhenBatchedWithPadding() {
    List<float[][]> audio = codecFeatures();
    List<float[][]> frames = frameFeatures();
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (int clip = 0; clip < clips(); clip++) {
      futures.add(paired.avEncoder().embedAsync(audio.get(clip), frames.get(clip)));
    }
    for (int clip = 0; clip < clips(); clip++) {
      assertThat(cosine(futures.get(clip).join(), vector(clip(clip).get("audioVideoEmbedding"))))
          .as("clip %d", clip).isGreaterThanOrEqualTo(MIN_COSINE);
    }
    assertRanAsOneBatchOfTwo("av_encoder");
  }

  @Test
  void textTokensEmbeddingsAndScoresMatchPyTorch() {
    JsonNode texts = reference.get("texts");
    for (int t = 0; t < texts.size(); t++) {
      String text = texts.get(t).asText();
      long[] ids = single.text().tokenizer().encode(text).ids();
      long[] expectedIds = new long[reference.get("tokenIds").get(t).size()];
      for (int i = 0; i < expectedIds.length; i++) {
        expectedIds[i] = reference.get("tokenIds").get(t).get(i).asLong();
      }
      assertThat(ids).as(text).containsExactly(expectedIds);
      for (String head : List.of("audio", "video", "audio_video", "frame_audio")) {
        assertThat(cosine(single.text().embed(text, head), vector(reference.get("text").get(head).get(t))))
            .as("%s / %s", text, head).isGreaterThanOrEqualTo(MIN_COSINE);
      }
    }
    for (int clip = 0; clip < clips(); clip++) {
      float[][] frameEmbeddings = matrix(clip(clip).get("frameEmbeddings"));
      for (int t = 0; t < texts.size(); t++) {
        float[] prompt = single.text().embed(texts.get(t).asText(), "frame_audio");
        JsonNode expected = reference.get("frameAudioProbabilities").get(clip).get(t);
        for (int f = 0; f < frameEmbeddings.length; f++) {
          assertThat(single.manifest().head("frame_audio").probability(frameEmbeddings[f], prompt))
              .isCloseTo(expected.get(f).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        }
      }
    }
  }
}
