package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.InRange;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithLength;
import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the decode stage ({@link DecodeStage} → {@link ChunkDecoder},
 * claim-check reads through {@code BlobReader}) with Jazzer, seeded with a valid chunk of every
 * supported container. Every input must come out as exactly one {@link DecodedChunk}: decoded
 * media that respects the limits, or a hole plus exactly one dead letter with a stable error
 * class and a reason; and no input may run past the decode time limit (plus scheduling slack).
 * Anything else (an unexpected exception, an assertion) is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ=1} (the ordinary unit-test run) only the seeds run. The bounded
 * CI campaign and the long one are described in docs/fuzzing.md.
 */
class DecodeStageFuzzTest {
  /** Per-chunk decode budget in the fuzz target: tight, so that slow inputs show up quickly. */
  static final long DECODE_MILLIS = 2_000;
  /** What an input may take beyond the budget: the deadline is checked between FFmpeg calls. */
  static final long OVERRUN_MILLIS = 3_000;
  static final int MAX_INPUT_BYTES = 256 * 1024;
  /** Container hints a record may carry; the last one stands for no usable hint. */
  static final String[] HINTS = {"mp4", "mpegts", "matroska", "webm", "wav", "flac", "ogg", "aac", "mp3", "hls"};

  static final DecodeLimits LIMITS = DecodeLimits.builder()
      .maxPayloadBytes(MAX_INPUT_BYTES)
      .maxDurationUs(5_000_000)
      .maxVideoFrames(200)
      .maxResolution(1024, 1024)
      .maxDecodeMillis(DECODE_MILLIS)
      .build();
  static final VideoPreprocessing PREPROCESSING = VideoPreprocessing.pe(32);

  /** How the chunk's bytes reach the stage. */
  enum Delivery { INLINE, CLAIM_CHECK, TAMPERED_CLAIM_CHECK }

  private static final Set<String> FAILURE_CLASSES = EnumSet.allOf(DecodeFailure.class).stream()
      .map(Enum::name).collect(Collectors.toSet());

  private static Path blobRoot;
  private static BlobStore blobs;
  private static OneInputStreamOperatorTestHarness<MediaChunk, DecodedChunk> harness;
  private static long seq;
  private static long executions;
  private static long decoded;
  private static long slowestMillis;
  private static final Map<String, Long> REJECTIONS = new TreeMap<>();

  @BeforeAll
  static void openStage() throws Exception {
    blobRoot = Files.createTempDirectory("fuzz-blobs");
    blobs = new BlobStore(blobRoot.toUri());
    harness = DecodeStageTest.open(new DecodeStage(LIMITS, new FramePolicy.Native(), PREPROCESSING, blobRoot.toUri()));
  }

  @AfterAll
  static void closeStage() throws Exception {
    harness.close();
    try (Stream<Path> files = Files.walk(blobRoot)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    System.out.printf("DecodeStageFuzzTest: %d executions, %d decoded, slowest %d ms, rejected %s%n",
        executions, decoded, slowestMillis, REJECTIONS);
    long required = Long.getLong("fuzz.min-executions", 0);
    assertThat(executions).as("inputs run (fuzz.min-executions)").isGreaterThanOrEqualTo(required);
  }

  /** Seeds: a short valid chunk of every container the generator writes, delivered every way. */
  static Stream<Arguments> decodeStage() throws IOException {
    Path scratch = Files.createTempDirectory("fuzz-seeds");
    List<Arguments> seeds = new ArrayList<>();
    try {
      for (Container container : Container.values()) {
        byte[] media = SyntheticMedia.generate(SyntheticMedia.spec().container(container)
            .size(32, 24).fps(10).duration(0.3).channels(1).tone(0.1, 0.2, 1000), scratch);
        int hint = hintIndexOf(container);
        for (Delivery delivery : Delivery.values()) {
          seeds.add(Arguments.of(media, hint, delivery.ordinal()));
        }
      }
    } finally {
      Files.deleteIfExists(scratch);
    }
    return seeds.stream();
  }

  private static int hintIndexOf(Container container) {
    String demuxer = switch (container) {
      case MP4_MOOV_AT_END, MP4_FASTSTART, MP4_FRAGMENTED -> "mp4";
      case ADTS_AAC -> "aac";
      case OGG_OPUS -> "ogg";
      default -> container.muxer;
    };
    return List.of(HINTS).indexOf(demuxer);
  }

  @MethodSource
  @FuzzTest(maxDuration = "10m")
  void decodeStage(
      byte @NotNull @WithLength(max = MAX_INPUT_BYTES) [] payload,
      @InRange(min = 0, max = 9) int hint,
      @InRange(min = 0, max = 2) int deliveryIndex) throws Exception {
    Delivery delivery = Delivery.values()[deliveryIndex];
    MediaChunk chunk = chunk(payload, HINTS[hint], delivery);
    harness.getOutput().clear();
    if (harness.getSideOutput(DeadLetters.TAG) != null) {
      harness.getSideOutput(DeadLetters.TAG).clear();
    }

    long started = System.nanoTime();
    harness.processElement(chunk, 0);
    long millis = (System.nanoTime() - started) / 1_000_000;
    executions++;
    slowestMillis = Math.max(slowestMillis, millis);
    if (delivery != Delivery.INLINE) {
      removeBlobs();
    }

    assertThat(millis).as("decode time of a %d-byte chunk", payload.length)
        .isLessThanOrEqualTo(DECODE_MILLIS + OVERRUN_MILLIS);
    List<DecodedChunk> out = harness.extractOutputValues();
    assertThat(out).as("one output per chunk").hasSize(1);
    DecodedChunk result = out.get(0);
    assertThat(result.seq).isEqualTo(chunk.getSeq());
    List<DeadLetter> letters = deadLetters();
    if (result.decodeFailed) {
      assertThat(letters).as("a failed chunk is dead-lettered once").hasSize(1);
      DeadLetter letter = letters.get(0);
      assertThat(letter.getStage()).isEqualTo(DecodeStage.STAGE);
      assertThat(letter.getReason()).isNotBlank();
      assertThat(letter.getSeq()).isEqualTo(chunk.getSeq());
      String errorClass = letter.getErrorClass();
      assertThat(FAILURE_CLASSES.contains(errorClass) || errorClass.startsWith(DecodeFailure.BLOB.name() + "_"))
          .as("stable error class, got %s", errorClass).isTrue();
      assertThat(result.audio).isEmpty();
      assertThat(result.frameCount()).isZero();
      REJECTIONS.merge(errorClass, 1L, Long::sum);
    } else {
      assertThat(delivery).as("a tampered claim check must never decode").isNotEqualTo(Delivery.TAMPERED_CLAIM_CHECK);
      assertThat(letters).isEmpty();
      assertWithinLimits(result);
      decoded++;
    }
  }

  private static MediaChunk chunk(byte[] payload, String hint, Delivery delivery) throws Exception {
    Object carried = switch (delivery) {
      case INLINE -> ByteBuffer.wrap(payload);
      case CLAIM_CHECK -> blobs.put("fuzz", payload);
      case TAMPERED_CLAIM_CHECK -> {
        BlobRef stored = blobs.put("fuzz", payload);
        byte[] swapped = payload.clone();
        if (swapped.length > 0) {
          swapped[swapped.length / 2] ^= 0x5a;
        } else {
          swapped = new byte[] {1};
        }
        Files.write(Path.of(URI.create(stored.getUri())), swapped);
        yield stored;
      }
    };
    long s = seq++;
    return MediaChunk.newBuilder()
        .setStreamId("fuzz")
        .setSeq(s)
        .setKind(MediaKind.AUDIO_VIDEO)
        .setContainer(hint)
        .setStartUs(s * 1_000_000L)
        .setDurationUs(0)
        .setIngestTimeMs(Instant.EPOCH)
        .setPayload(carried)
        .build();
  }

  private static void assertWithinLimits(DecodedChunk media) {
    assertThat(media.frameCount()).isLessThanOrEqualTo(LIMITS.maxVideoFrames());
    assertThat(media.imageSize).isEqualTo(PREPROCESSING.imageSize());
    assertThat(media.pixels.length).isGreaterThanOrEqualTo(media.frameCount() * media.frameFloats());
    assertThat((long) media.audio.length).isLessThanOrEqualTo(LIMITS.maxAudioSamples());
    for (float v : media.audio) {
      assertThat(Float.isFinite(v)).as("audio samples are finite").isTrue();
    }
  }

  private static List<DeadLetter> deadLetters() {
    var side = harness.getSideOutput(DeadLetters.TAG);
    return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
  }

  private static void removeBlobs() throws IOException {
    try (Stream<Path> files = Files.walk(blobRoot)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
