package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pestream.operators.encode.AudioFramer;
import dev.pestream.operators.encode.CodecBlock;
import dev.pestream.operators.encode.FramerState;
import dev.pestream.operators.testing.NpyArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.LongStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decode stage against the transformers processors on the same files
 * (models/fixtures/preprocessing, written by {@code python -m pestream_export
 * preprocessing-fixture}; docs/preprocessing.md has the figures): the frames the reference keeps,
 * their pixels after the resize to S x S, the normalised values, the 48 kHz mono waveform and its
 * reflect padding to whole 40 ms frames.
 */
class PreprocessingParityTest {
  private static final Path FIXTURE = Path.of("..", "models", "fixtures", "preprocessing");

  /** Pixel levels (0-255) by which the job may differ from the processor's resize on average. */
  private static final double MAX_MEAN_PIXEL_DIFFERENCE = 0.25;
  /** Share of pixel values more than 2 levels apart (rounding in swscale's 15-bit vs torch's 8-bit passes). */
  private static final double MAX_SHARE_ABOVE_2_LEVELS = 0.01;
  private static final int MAX_PIXEL_DIFFERENCE = 40;
  /**
   * Resampled audio away from the clip's edges (swresample vs soxr_hq): at most 3.4e-5 on smooth
   * signals, 9.3e-4 at the hard onset of the 0.6-amplitude tone (the filters ring differently).
   */
  private static final double MAX_AUDIO_INTERIOR_DIFFERENCE = 1.5e-3;
  private static final double MAX_AUDIO_MEAN_DIFFERENCE = 5e-5;
  /** Samples (5.3 ms) at each end where the two resamplers' edge handling differ. */
  private static final int AUDIO_EDGE_SAMPLES = 256;

  private static JsonNode reference;

  @BeforeAll
  static void readReference() throws Exception {
    reference = new ObjectMapper().readTree(FIXTURE.resolve("reference.json").toFile());
  }

  static List<String> files() throws Exception {
    readReference();
    List<String> names = new ArrayList<>();
    reference.get("files").forEach(f -> names.add(f.get("file").asText()));
    return names;
  }

  private static JsonNode entry(String file) {
    return StreamSupport.stream(reference.get("files").spliterator(), false)
        .filter(f -> f.get("file").asText().equals(file)).findFirst().orElseThrow();
  }

  private static DecodedChunk decode(String file, FramePolicy policy, int size) throws Exception {
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), policy, VideoPreprocessing.pe(size))) {
      return decoder.decode(Files.readAllBytes(FIXTURE.resolve(file)), 0);
    }
  }

  @ParameterizedTest
  @MethodSource("files")
  void keptFramesMatchTheVideoProcessorsResize(String file) throws Exception {
    JsonNode ref = entry(file);
    int decoded = ref.get("decodedFrames").asInt();
    for (JsonNode sizeNode : reference.get("sizes")) {
      int size = sizeNode.asInt();
      JsonNode video = ref.get("video").get(String.valueOf(size));
      DecodedChunk out = decode(file, new FramePolicy.Native(), size);
      assertThat(out.frameIndex).as("every decoded frame, on the frame grid").containsExactly(
          LongStream.range(0, decoded).toArray());
      assertThat(out.frameRate()).isEqualTo(new FrameRate(
          ref.get("frameRate").get(0).asLong(), ref.get("frameRate").get(1).asLong()));

      NpyArray rgb = NpyArray.readGzip(FIXTURE.resolve(video.get("rgb").asText()));
      int[] frames = StreamSupport.stream(video.get("frameIndices").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
      assertThat(rgb.shape()).containsExactly(frames.length, size, size, 3);
      VideoPreprocessing pre = VideoPreprocessing.pe(size);
      int plane = size * size;
      long sum = 0;
      long above2 = 0;
      int max = 0;
      for (int k = 0; k < frames.length; k++) {
        int base = out.frameOffset(frames[k]);
        for (int c = 0; c < 3; c++) {
          for (int i = 0; i < plane; i++) {
            int job = pre.byteValueOf(c, out.pixels[base + c * plane + i]);
            int diff = Math.abs(job - (rgb.bytes()[(k * plane + i) * 3 + c] & 0xff));
            sum += diff;
            above2 += diff > 2 ? 1 : 0;
            max = Math.max(max, diff);
          }
        }
      }
      long valueCount = 3L * plane * frames.length;
      double mean = (double) sum / valueCount;
      double share = (double) above2 / valueCount;
      System.out.printf(Locale.ROOT, "pixels %s S=%d: %d frames, mean |diff| %.3f levels, max %d, share > 2 levels %.4f%n",
          file, size, frames.length, mean, max, share);
      assertThat(mean).as("%s S=%d mean pixel difference", file, size).isLessThanOrEqualTo(MAX_MEAN_PIXEL_DIFFERENCE);
      assertThat(share).as("%s S=%d share above 2 levels", file, size).isLessThanOrEqualTo(MAX_SHARE_ABOVE_2_LEVELS);
      assertThat(max).as("%s S=%d max pixel difference", file, size).isLessThanOrEqualTo(MAX_PIXEL_DIFFERENCE);

      if (video.has("pixelValuesFrame0")) {
        // rescale + normalise: where the resized bytes agree, the model input is the same float
        NpyArray values = NpyArray.readGzip(FIXTURE.resolve(video.get("pixelValuesFrame0").asText()));
        assertThat(values.shape()).containsExactly(3, size, size);
        int same = 0;
        for (int i = 0; i < values.floats().length; i++) {
          int c = i / plane;
          if (pre.byteValueOf(c, out.pixels[i]) == pre.byteValueOf(c, values.floats()[i])) {
            assertThat(out.pixels[i]).isCloseTo(values.floats()[i], org.assertj.core.api.Assertions.within(1e-6f));
            same++;
          }
        }
        assertThat(same).as("most values agree exactly").isGreaterThan(values.floats().length * 9 / 10);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("files")
  void uniformPolicyKeepsTheFramesTheProcessorSamples(String file) throws Exception {
    JsonNode ref = entry(file);
    FrameRate rate = new FrameRate(ref.get("frameRate").get(0).asLong(), ref.get("frameRate").get(1).asLong());
    // one window holding exactly the clip's frames, as the reference samples a whole clip
    long windowUs = rate.timeUsOf(ref.get("decodedFrames").asLong() - 1) + 1;
    int k = reference.get("uniformFrames").asInt();
    DecodedChunk out = decode(file, FramePolicy.parse("uniform:" + k, windowUs, windowUs), 32);
    long[] expected = StreamSupport.stream(ref.get("uniformFrameIndices").spliterator(), false)
        .mapToLong(JsonNode::asLong).distinct().toArray();
    assertThat(out.frameIndex).containsExactly(expected);
    assertThat(UniformSampling.selectedGridIndices(0, windowUs, windowUs, k, rate)).containsExactly(
        StreamSupport.stream(ref.get("uniformFrameIndices").spliterator(), false).mapToLong(JsonNode::asLong).toArray());
  }

  @ParameterizedTest
  @MethodSource("files")
  void audioMatchesTheFeatureExtractorsInput(String file) throws Exception {
    JsonNode audio = entry(file).get("audio");
    int hop = reference.get("hopSamples").asInt();
    DecodedChunk out;
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(32))) {
      byte[] media = Files.readAllBytes(FIXTURE.resolve(file));
      out = decoder.decode(media, 0);
      // the resampler is re-initialised per chunk: the downmix matrix must survive that
      assertThat(decoder.decode(media, 0).audio).as("second chunk through the same decoder").isEqualTo(out.audio);
    }
    float[] expected = NpyArray.readGzip(FIXTURE.resolve(audio.get("inputValues").asText())).floats();
    int samples = audio.get("samples").asInt();
    assertThat(out.audioStartSample).isZero();
    assertThat(out.audio.length).as("48 kHz samples").isEqualTo(samples);

    double interiorMax = 0;
    double edgeMax = 0;
    double sum = 0;
    for (int i = 0; i < samples; i++) {
      double diff = Math.abs(out.audio[i] - expected[i]);
      sum += diff;
      if (i < AUDIO_EDGE_SAMPLES || i >= samples - AUDIO_EDGE_SAMPLES) {
        edgeMax = Math.max(edgeMax, diff);
      } else {
        interiorMax = Math.max(interiorMax, diff);
      }
    }
    double mean = sum / samples;
    System.out.printf(Locale.ROOT, "audio %s (%d Hz, %d ch): %d samples, interior max |diff| %.2e, mean %.2e, edge max %.2e%n",
        file, audio.get("sampleRate").asInt(), audio.get("channels").asInt(), samples, interiorMax, mean, edgeMax);
    assertThat(interiorMax).as("%s interior", file).isLessThanOrEqualTo(MAX_AUDIO_INTERIOR_DIFFERENCE);
    assertThat(mean).as("%s mean", file).isLessThanOrEqualTo(MAX_AUDIO_MEAN_DIFFERENCE);

    // the framer pads the clip's last frame as the feature extractor does (reflect, whole frames),
    // with no codec context and with the codec context of the PE bundles
    for (int context : new int[] {0, 6}) {
      float[] padded = framed(out, hop, context);
      assertPaddedLikeTheReference(file, audio, expected, padded, samples, Math.max(edgeMax, interiorMax));
    }
  }

  /** The audio the framer hands the codec, emitted frames only, in order. */
  private static float[] framed(DecodedChunk out, int hop, int contextFrames) {
    AudioFramer framer = new AudioFramer(hop, contextFrames);
    FramerState state = new FramerState();
    List<CodecBlock> blocks = new ArrayList<>();
    framer.push(state, out.audioStartSample, out.audio).ifPresent(blocks::add);
    framer.flush(state).ifPresent(blocks::add);
    float[] padded = new float[0];
    for (CodecBlock b : blocks) {
      int at = padded.length;
      padded = Arrays.copyOf(padded, at + b.emitCount() * hop);
      System.arraycopy(b.samples(), b.contextRowsBefore() * hop, padded, at, b.emitCount() * hop);
    }
    return padded;
  }

  private static void assertPaddedLikeTheReference(
      String file, JsonNode audio, float[] expected, float[] padded, int samples, double tolerance) {
    assertThat(padded.length).as("padded to whole frames").isEqualTo(audio.get("paddedSamples").asInt());
    assertThat(expected.length).isEqualTo(padded.length);
    for (int i = samples; i < padded.length; i++) {
      // the padding mirrors samples near the end, so it inherits their (edge) difference
      assertThat((double) Math.abs(padded[i] - expected[i])).as("%s padded sample %d", file, i)
          .isLessThanOrEqualTo(tolerance + 1e-7);
    }
  }
}
