package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.operators.testing.DecodedMedia;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChunkDecoderTest {
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(32);
  private static final double TONE_START = 0.4371;
  private static final long START_US = 12_345_678L;

  /** AAC's encoder delay (1024 samples at 44.1 kHz), which these containers do not signal. */
  private static final long UNSIGNALLED_AAC_DELAY_US = Math.round(1024 * 1e6 / 44_100);

  private static final Map<Container, byte[]> MEDIA = new EnumMap<>(Container.class);
  private static Path dir;
  private static ChunkDecoder decoder;

  @BeforeAll
  static void generate() throws Exception {
    dir = Files.createTempDirectory("chunk-decoder-test");
    for (Container c : Container.values()) {
      MEDIA.put(c, SyntheticMedia.generate(SyntheticMedia.spec().container(c).tone(TONE_START, 0.8, 1000), dir));
    }
    decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE);
  }

  @AfterAll
  static void close() throws Exception {
    decoder.close();
    Files.deleteIfExists(dir);
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void decodesEveryContainerFromMemory(Container container) throws Exception {
    DecodedChunk out = decoder.decode(MEDIA.get(container), START_US);

    assertThat(out.startUs).isEqualTo(START_US);
    assertThat(out.audioStartSample).isEqualTo(AudioClock.sampleIndexOf(START_US));
    assertThat(out.audio.length).as("1 s of 48 kHz audio").isBetween(47_000, 51_000);
    long shift = switch (container) {
      case MPEGTS, ADTS_AAC, MP4_FRAGMENTED -> UNSIGNALLED_AAC_DELAY_US;
      default -> 0;
    };
    assertThat(DecodedMedia.onsetUs(out))
        .as("tone onset on the stream clock")
        .isCloseTo(START_US + Math.round(TONE_START * 1e6) + shift, within(1000L));

    if (container.video) {
      assertThat(out.frameCount()).isEqualTo(25);
      assertThat(out.frameRate()).isEqualTo(new FrameRate(25, 1));
      assertThat(out.imageSize).isEqualTo(32);
      assertThat(out.pixels).hasSize(25 * 3 * 32 * 32);
      assertThat(DecodedMedia.paletteIndices(out, PRE))
          .as("colours in the order written")
          .containsExactly(IntStream.range(0, 25).map(i -> i % SyntheticMedia.PALETTE.length).toArray());
      assertThat(out.framePtsUs).isSorted().doesNotHaveDuplicates();
      for (int f = 2; f < out.frameCount(); f++) {
        assertThat(out.framePtsUs[f] - out.framePtsUs[f - 1]).isEqualTo(40_000L);
        assertThat(out.frameIndex[f]).isEqualTo(out.frameRate().gridIndexOf(out.framePtsUs[f]));
      }
    } else {
      assertThat(out.frameCount()).isZero();
      assertThat(out.pixels).isEmpty();
    }
  }

  @Test
  void moovAtEndYieldsTheSameMediaAsFaststart() throws Exception {
    DecodedChunk atEnd = decoder.decode(MEDIA.get(Container.MP4_MOOV_AT_END), 0);
    DecodedChunk faststart = decoder.decode(MEDIA.get(Container.MP4_FASTSTART), 0);
    assertThat(atEnd.frameCount()).isEqualTo(25);
    assertThat(atEnd.framePtsUs).isEqualTo(faststart.framePtsUs);
    assertThat(atEnd.pixels).isEqualTo(faststart.pixels);
    assertThat(atEnd.audio).isEqualTo(faststart.audio);
  }

  @Test
  void toneOnsetLandsWithinOneMillisecondAfterResampling() throws Exception {
    // Lossless sources at rates other than 48 kHz, so the resampler's alignment is what is measured.
    for (int rate : new int[] {44_100, 32_000, 16_000, 96_000}) {
      for (Container c : new Container[] {Container.WAV, Container.FLAC}) {
        byte[] bytes =
            SyntheticMedia.generate(
                SyntheticMedia.spec().container(c).sampleRate(rate).channels(1).duration(0.7).tone(0.2503, 0.6, 700), dir);
        DecodedChunk out = decoder.decode(bytes, START_US);
        long expected = AudioClock.sampleIndexOf(START_US + 250_300);
        assertThat(DecodedMedia.onsetSample(out)).as(c + " at " + rate + " Hz").isCloseTo(expected, within(48L));
        assertThat(out.audio.length).as(c + " at " + rate + " Hz").isCloseTo(33_600, within(48));
      }
    }
  }

  @Test
  void consecutiveChunksTileTheAudioClock() throws Exception {
    byte[] second =
        SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WAV).duration(0.5).tone(0.1, 0.3, 440), dir);
    byte[] first = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WAV).duration(0.5), dir);
    DecodedChunk a = decoder.decode(first, 1_000_000);
    DecodedChunk b = decoder.decode(second, 1_500_000);
    assertThat(a.audioStartSample).isEqualTo(48_000);
    assertThat(a.audioEndSample()).isEqualTo(b.audioStartSample).isEqualTo(72_000);
    assertThat(DecodedMedia.onsetSample(b)).isCloseTo(AudioClock.sampleIndexOf(1_600_000), within(48L));
  }

  @Test
  void nothingLeaksFromOneChunkIntoTheNext() throws Exception {
    // The decoder keeps its resampler and scaler across chunks: the second chunk must decode
    // exactly as it does on a fresh decoder.
    byte[] loud = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).duration(0.5).tone(0, 0.5, 3000), dir);
    byte[] quiet = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).duration(0.5).tone(0.3, 0.5, 200), dir);
    DecodedChunk afterLoud;
    try (ChunkDecoder used = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE)) {
      used.decode(loud, 0);
      afterLoud = used.decode(quiet, 500_000);
    }
    DecodedChunk fresh = decoder.decode(quiet, 500_000);
    assertThat(afterLoud.audio).isEqualTo(fresh.audio);
    assertThat(afterLoud.audioStartSample).isEqualTo(fresh.audioStartSample);
    assertThat(afterLoud.pixels).isEqualTo(fresh.pixels);
  }

  @Test
  void framesKeepTheirColourAndTimeInOrder() throws Exception {
    byte[] bytes =
        SyntheticMedia.generate(
            SyntheticMedia.spec().container(Container.MP4_MOOV_AT_END).noAudio().duration(2).colours(i -> (i * 3) % 8), dir);
    DecodedChunk out = decoder.decode(bytes, 4_000_000);
    assertThat(out.frameCount()).isEqualTo(50);
    assertThat(out.audio).isEmpty();
    for (int f = 0; f < 50; f++) {
      assertThat(out.framePtsUs[f]).isEqualTo(4_000_000L + 40_000L * f);
      assertThat(out.frameIndex[f]).isEqualTo(100L + f);
      assertThat(DecodedMedia.paletteIndexOf(out, f, PRE)).as("frame " + f).isEqualTo((f * 3) % 8);
    }
  }

  @Test
  void reorderedFramesComeOutInPresentationOrder() throws Exception {
    for (Container c : new Container[] {Container.MPEGTS, Container.MATROSKA, Container.MP4_MOOV_AT_END}) {
      byte[] bytes =
          SyntheticMedia.generate(SyntheticMedia.spec().container(c).noAudio().duration(1).bFrames(2)
              .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4).colours(i -> (i * 5) % 8), dir);
      DecodedChunk out = decoder.decode(bytes, 0, 0, c.muxer);
      assertThat(out.frameCount()).as(c.name()).isEqualTo(25);
      long first = out.framePtsUs[0];
      for (int f = 0; f < 25; f++) {
        assertThat(out.framePtsUs[f] - first).as(c + " frame " + f).isEqualTo(40_000L * f);
        assertThat(DecodedMedia.paletteIndexOf(out, f, PRE)).as(c + " frame " + f).isEqualTo((f * 5) % 8);
      }
    }
  }

  @Test
  void normalisesWithTheGivenMeanAndStd() throws Exception {
    byte[] bytes =
        SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MATROSKA).noAudio().duration(0.2).colours(i -> 6), dir);
    VideoPreprocessing imagenet =
        new VideoPreprocessing(16, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
    try (ChunkDecoder d = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), imagenet)) {
      DecodedChunk out = d.decode(bytes, 0);
      assertThat(out.imageSize).isEqualTo(16);
      assertThat(out.pixels).hasSize(out.frameCount() * 3 * 256);
      int[] white = SyntheticMedia.PALETTE[6];
      for (int c = 0; c < 3; c++) {
        float expected = (white[c] / 255f - imagenet.mean()[c]) / imagenet.std()[c];
        float centre = out.pixels[c * 256 + 8 * 16 + 8];
        assertThat(centre).as("channel " + c).isCloseTo(expected, within(0.1f));
      }
    }
  }

  @Test
  void framePoliciesKeepOnlySelectedFrames() throws Exception {
    byte[] bytes = MEDIA.get(Container.MATROSKA); // 25 frames at 25 fps, colours cycling the palette
    try (ChunkDecoder fps5 = new ChunkDecoder(DecodeLimits.defaults(), FramePolicy.parse("fps:5", 0, 0), PRE);
        ChunkDecoder uniform =
            new ChunkDecoder(DecodeLimits.defaults(), FramePolicy.parse("uniform:4", 1_000_000, 500_000), PRE)) {
      DecodedChunk a = fps5.decode(bytes, 0);
      assertThat(a.frameIndex).containsExactly(0, 5, 10, 15, 20);
      assertThat(DecodedMedia.paletteIndices(a, PRE)).containsExactly(0, 5, 2, 7, 4);
      assertThat(a.framePtsUs).containsExactly(0, 200_000, 400_000, 600_000, 800_000);

      // Window 0 = frames 0..24 -> 0, 8, 16, 24; window 1 = frames 13..37 -> 13, 21 (29, 37 lie
      // beyond this chunk).
      DecodedChunk b = uniform.decode(bytes, 0);
      assertThat(b.frameIndex).containsExactly(0, 8, 13, 16, 21, 24);
      assertThat(DecodedMedia.paletteIndices(b, PRE)).containsExactly(0, 0, 5, 0, 5, 0);
    }
  }

  @Test
  void sameDecoderHandlesChangingResolutionsAndFormats() throws Exception {
    byte[] small = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).size(64, 48).noAudio().duration(0.2), dir);
    byte[] large = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).size(320, 180).noAudio().duration(0.2).colours(i -> 7 - i % 8), dir);
    for (int round = 0; round < 2; round++) {
      // A tiny MPEG-TS probes as MPEG-PS (not allowed); the record's container hint rescues it.
      assertThat(DecodedMedia.paletteIndices(decoder.decode(small, 0, 0, "mpegts"), PRE)).containsExactly(0, 1, 2, 3, 4);
      assertThat(DecodedMedia.paletteIndices(decoder.decode(large, 0, 0, "mpegts"), PRE)).containsExactly(7, 6, 5, 4, 3);
      assertThat(decoder.decode(MEDIA.get(Container.FLAC), 0).audio).hasSizeBetween(47_000, 49_000);
    }
  }

  @Test
  void decodedChunkIsAFlinkPojo() {
    assertThat(org.apache.flink.api.common.typeinfo.TypeInformation.of(DecodedChunk.class))
        .isInstanceOf(org.apache.flink.api.java.typeutils.PojoTypeInfo.class);
  }
}
