package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every bad chunk is a {@link DecodeException} with a specific reason, and the decoder goes on. */
class ChunkDecoderRejectionTest {
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(16);
  private static Path dir;
  private static ChunkDecoder decoder;

  @BeforeAll
  static void setUp() throws Exception {
    dir = Files.createTempDirectory("rejection-test");
    decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE);
  }

  @AfterAll
  static void tearDown() throws Exception {
    decoder.close();
  }

  private static byte[] media(Container c) throws Exception {
    return SyntheticMedia.generate(SyntheticMedia.spec().container(c).tone(0.3, 0.9, 500), dir);
  }

  private static void assertFails(DecodeFailure failure, String messagePart, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.failure()).isEqualTo(failure))
        .hasMessageContaining(messagePart);
  }

  /** The decoder still works after whatever failed before. */
  private static void assertStillDecodes() throws Exception {
    assertThat(decoder.decode(media(Container.FLAC), 0).audio).hasSizeGreaterThan(40_000);
  }

  @Test
  void zeroLengthAndOversizedPayloads() throws Exception {
    assertFails(DecodeFailure.EMPTY, "empty", () -> decoder.decode(new byte[0], 0));
    assertFails(DecodeFailure.EMPTY, "empty", () -> decoder.decode(null, 0));
    try (ChunkDecoder small =
        new ChunkDecoder(DecodeLimits.builder().maxPayloadBytes(1000).build(), new FramePolicy.Native(), PRE)) {
      assertFails(DecodeFailure.TOO_LARGE, "exceeds the limit of 1000", () -> small.decode(new byte[1001], 0));
    }
  }

  @Test
  void garbageTextAndImagesAreRejected() throws Exception {
    byte[] random = new byte[8192];
    new Random(7).nextBytes(random);
    assertThatThrownBy(() -> decoder.decode(random, 0))
        .isInstanceOfSatisfying(
            DecodeException.class,
            e -> assertThat(e.failure()).isIn(DecodeFailure.UNREADABLE, DecodeFailure.FORMAT_NOT_ALLOWED));
    assertThatThrownBy(() -> decoder.decode("just some text, not media\n".repeat(50).getBytes(StandardCharsets.UTF_8), 0))
        .isInstanceOfSatisfying(
            DecodeException.class,
            e -> assertThat(e.failure()).isIn(DecodeFailure.UNREADABLE, DecodeFailure.FORMAT_NOT_ALLOWED));

    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png", png);
    assertFails(DecodeFailure.FORMAT_NOT_ALLOWED, "png", () -> decoder.decode(png.toByteArray(), 0));
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "jpeg", jpeg);
    assertFails(DecodeFailure.FORMAT_NOT_ALLOWED, "jpeg", () -> decoder.decode(jpeg.toByteArray(), 0));
    assertStillDecodes();
  }

  @ParameterizedTest
  @EnumSource(
      value = Container.class,
      names = {"MP4_MOOV_AT_END", "MP4_FASTSTART", "MP4_FRAGMENTED", "WAV", "FLAC", "OGG_OPUS", "ADTS_AAC"})
  void truncatedChunksFailOnTheirOwn(Container c) throws Exception {
    byte[] whole = media(c);
    byte[] cut = Arrays.copyOf(whole, whole.length * 6 / 10);
    assertThatThrownBy(() -> decoder.decode(cut, 0))
        .isInstanceOfSatisfying(
            DecodeException.class,
            e -> assertThat(e.failure()).isIn(DecodeFailure.UNREADABLE, DecodeFailure.CORRUPT));
    assertStillDecodes();
  }

  @ParameterizedTest
  @EnumSource(value = Container.class, names = {"MATROSKA", "WEBM", "MP3", "MPEGTS"})
  void truncatedStreamingFormatsFailAgainstTheDeclaredDuration(Container c) throws Exception {
    byte[] whole = media(c);
    assertThat(decoder.decode(whole, 0, 1_000_000, null).durationUs).isGreaterThanOrEqualTo(960_000);
    byte[] cut = Arrays.copyOf(whole, whole.length * 8 / 10);
    assertFails(DecodeFailure.CORRUPT, "truncated: the chunk declares 1000 ms", () -> decoder.decode(cut, 0, 1_000_000, null));
  }

  @ParameterizedTest
  @EnumSource(value = Container.class, names = {"MP4_MOOV_AT_END", "MPEGTS", "FLAC", "ADTS_AAC", "MP4_FRAGMENTED"})
  void corruptChunksFail(Container c) throws Exception {
    byte[] bytes = media(c);
    Random random = new Random(11);
    for (int i = 0; i < 24; i++) {
      bytes[bytes.length / 3 + random.nextInt(bytes.length / 3)] ^= (byte) (1 + random.nextInt(255));
    }
    assertThatThrownBy(() -> decoder.decode(bytes, 0, 1_000_000, null))
        .isInstanceOfSatisfying(DecodeException.class, e -> assertThat(e.failure()).isEqualTo(DecodeFailure.CORRUPT));
    assertStillDecodes();
  }

  @Test
  void resolutionFrameDurationAndTimeLimits() throws Exception {
    byte[] clip =
        SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).size(320, 240).duration(3), dir);
    try (ChunkDecoder d = decoderWith(DecodeLimits.builder().maxResolution(200, 200))) {
      assertFails(DecodeFailure.RESOLUTION_LIMIT, "320x240", () -> d.decode(clip, 0));
    }
    try (ChunkDecoder d = decoderWith(DecodeLimits.builder().maxVideoFrames(10))) {
      assertFails(DecodeFailure.FRAME_LIMIT, "more than 10 video frames", () -> d.decode(clip, 0));
    }
    try (ChunkDecoder d = decoderWith(DecodeLimits.builder().maxDurationUs(1_000_000))) {
      assertFails(DecodeFailure.DURATION_LIMIT, "1000 ms limit", () -> d.decode(clip, 0));
    }
    try (ChunkDecoder d = decoderWith(DecodeLimits.builder().maxDecodeMillis(1))) {
      assertFails(DecodeFailure.TIMEOUT, "time budget", () -> d.decode(clip, 0));
    }
    byte[] audio = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WAV).duration(3), dir);
    try (ChunkDecoder d = decoderWith(DecodeLimits.builder().maxDurationUs(1_000_000))) {
      assertFails(DecodeFailure.DURATION_LIMIT, "", () -> d.decode(audio, 0));
    }
  }

  @Test
  void codecsOutsideTheAllowListAreRejected() throws Exception {
    Path file = dir.resolve("ffv1.mkv");
    try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), 32, 32, 0)) {
      r.setFormat("matroska");
      r.setVideoCodec(avcodec.AV_CODEC_ID_FFV1);
      r.setFrameRate(10);
      r.start();
      try (Frame f = new Frame(32, 32, Frame.DEPTH_UBYTE, 3)) {
        for (int i = 0; i < 5; i++) {
          r.record(f);
        }
      }
      r.stop();
    }
    assertFails(DecodeFailure.CODEC_NOT_ALLOWED, "ffv1", () -> decoder.decode(Files.readAllBytes(file), 0));
    assertStillDecodes();
  }

  private static ChunkDecoder decoderWith(DecodeLimits.Builder limits) {
    return new ChunkDecoder(limits.build(), new FramePolicy.Native(), PRE);
  }
}
