package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.operators.captions.CaptionChunk;
import dev.pestream.operators.captions.CaptionChunks;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameFilter;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Caption frames as the decoder's second video output: 1 per second, 448x448 bicubic (FFmpeg's scaler), JPEG. */
class CaptionFramesTest {
  private static final long S = 1_000_000L;
  private static Path dir;
  /** 3 s at 10 fps, one palette colour per second. */
  private static byte[] media;

  @BeforeAll
  static void generate() throws Exception {
    dir = Files.createTempDirectory("caption-frames-test");
    media = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MP4_FASTSTART).size(64, 48).fps(10)
        .duration(3.0).noAudio().colours(frame -> frame / 10), dir);
  }

  @AfterAll
  static void delete() throws Exception {
    Files.deleteIfExists(dir);
  }

  private static int paletteIndexOf(byte[] jpeg, int size) throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
    assertThat(image.getWidth()).isEqualTo(size);
    assertThat(image.getHeight()).isEqualTo(size);
    long[] sum = new long[3];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int rgb = image.getRGB(x, y);
        sum[0] += (rgb >> 16) & 0xff;
        sum[1] += (rgb >> 8) & 0xff;
        sum[2] += rgb & 0xff;
      }
    }
    double n = (double) size * size;
    return SyntheticMedia.nearestPaletteIndex(sum[0] / n, sum[1] / n, sum[2] / n);
  }

  @Test
  void oneFramePerSecondOfTheStreamClockResizedTo448AndJpegEncoded() throws Exception {
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), FramePolicy.parse("fps:2", 0, 0),
        VideoPreprocessing.pe(32), CaptionFramePolicy.plm())) {
      long start = 20 * S + 500_000; // the chunk starts mid-second: the first slot holds 5 frames
      DecodedChunk out = decoder.decode(media, start);
      assertThat(out.captionPtsUs).containsExactly(start, 21 * S, 22 * S, 23 * S);
      assertThat(out.captionJpegs.length).isEqualTo(4);
      int[] expected = {0, 0, 1, 2}; // 20.5 s is frame 0, 21 s is frame 5 (still colour 0), 22 s frame 15, 23 s frame 25
      for (int i = 0; i < 4; i++) {
        assertThat(out.captionJpegs[i][0] & 0xff).isEqualTo(0xff);
        assertThat(out.captionJpegs[i][1] & 0xff).isEqualTo(0xd8); // JPEG SOI
        assertThat(paletteIndexOf(out.captionJpegs[i], 448)).as("frame %d", i).isEqualTo(expected[i]);
      }
      // the model-ready output is untouched by the caption output
      assertThat(out.frameCount()).isEqualTo(6);
      assertThat(out.imageSize).isEqualTo(32);

      DecodedChunk next = decoder.decode(media, 0);
      assertThat(next.captionPtsUs).containsExactly(0, S, 2 * S);
      CaptionChunk chunk = CaptionChunks.of(next);
      assertThat(chunk.endUs).isEqualTo(next.durationUs);
      assertThat(chunk.frames).extracting(f -> f.ptsUs).containsExactly(0L, S, 2 * S);
      assertThat(chunk.frames[2].jpeg).isSameAs(next.captionJpegs[2]);
    }
  }

  @Test
  void theIntervalAndSizeFollowThePolicyAndItIsOffByDefault() throws Exception {
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(),
        VideoPreprocessing.pe(32), new CaptionFramePolicy(500_000, 96, 0.8f))) {
      DecodedChunk out = decoder.decode(media, 0);
      assertThat(out.captionPtsUs).hasSize(6);
      assertThat(paletteIndexOf(out.captionJpegs[5], 96)).isEqualTo(2);
    }
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(32))) {
      DecodedChunk out = decoder.decode(media, 0);
      assertThat(out.captionPtsUs).isEmpty();
      assertThat(out.captionJpegs.length).isZero();
    }
  }

  @Test
  void untrustedBytesAreRejectedAsBeforeWithCaptionsOn() throws Exception {
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(),
        VideoPreprocessing.pe(32), CaptionFramePolicy.plm())) {
      byte[] truncated = java.util.Arrays.copyOf(media, media.length / 2);
      assertThatThrownBy(() -> decoder.decode(truncated, 0, 3 * S, "mp4")).isInstanceOf(DecodeException.class);
      byte[] playlist = "#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      assertThatThrownBy(() -> decoder.decode(playlist, 0)).isInstanceOf(DecodeException.class);
      // and the decoder is still good for the next chunk
      assertThat(decoder.decode(media, 0).captionPtsUs).hasSize(3);
    }
  }

  @Test
  void theResizeIsWhatFfmpegsScaleFilterDoesWithBicubic() throws Exception {
    int w = 64;
    int h = 48;
    Random random = new Random(5);
    byte[] noise = new byte[w * h * 3];
    random.nextBytes(noise);
    byte[] ours;
    try (CaptionFrameSampler sampler = new CaptionFrameSampler(CaptionFramePolicy.plm())) {
      AVFrame picture = av_frame_alloc();
      try {
        picture.width(w).height(h).format(AV_PIX_FMT_BGR24);
        assertThat(av_frame_get_buffer(picture, 0)).isZero();
        for (int y = 0; y < h; y++) {
          picture.data(0).position((long) y * picture.linesize(0)).put(noise, y * 3 * w, 3 * w);
        }
        ours = sampler.scaledBgr(picture);
      } finally {
        av_frame_free(picture);
      }
    }
    assertThat(ours).hasSize(448 * 448 * 3);
    assertThat(ours).as("bit-identical to scale=448:448:flags=bicubic").isEqualTo(scaleFilter(noise, w, h, "bicubic"));
    assertThat(ours).as("and not the bilinear result").isNotEqualTo(scaleFilter(noise, w, h, "bilinear"));
  }

  /** The same picture through FFmpeg's scale filter (libavfilter), packed BGR rows. */
  private static byte[] scaleFilter(byte[] bgr, int w, int h, String flags) throws Exception {
    try (Frame in = new Frame(w, h, Frame.DEPTH_UBYTE, 3);
        FFmpegFrameFilter filter = new FFmpegFrameFilter("scale=448:448:flags=" + flags, w, h)) {
      ByteBuffer buffer = (ByteBuffer) in.image[0];
      for (int y = 0; y < h; y++) {
        buffer.position(y * in.imageStride).put(bgr, y * 3 * w, 3 * w);
      }
      buffer.position(0);
      filter.setPixelFormat(AV_PIX_FMT_BGR24);
      filter.start();
      filter.push(in);
      Frame out = filter.pull();
      assertThat(out.imageWidth).isEqualTo(448);
      byte[] packed = new byte[448 * 448 * 3];
      ByteBuffer pixels = (ByteBuffer) out.image[0];
      for (int y = 0; y < 448; y++) {
        pixels.position(y * out.imageStride).get(packed, y * 3 * 448, 3 * 448);
      }
      filter.stop();
      return packed;
    }
  }

  @Test
  void policyValuesAreChecked() {
    assertThatThrownBy(() -> new CaptionFramePolicy(0, 448, 0.9f)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CaptionFramePolicy(S, 8, 0.9f)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CaptionFramePolicy(S, 448, 0f)).isInstanceOf(IllegalArgumentException.class);
  }
}
