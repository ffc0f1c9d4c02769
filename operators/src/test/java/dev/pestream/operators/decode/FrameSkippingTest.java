package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decoding only what the frame policy keeps: frames it drops that no other frame references
 * (B-frames) are not decoded, and the frames it keeps are bit for bit those of a full decode.
 * The clips come from Debian's ffmpeg (libx264 / libx265 with B-frames; the JavaCV preset's
 * H.264 encoder writes no B-frames).
 */
class FrameSkippingTest {
  private static final long WINDOW_US = 2_000_000;
  private static final long HOP_US = 1_000_000;

  /** Each clip is encoded once for all the policies tried on it. */
  private static final java.util.Map<String, byte[]> CLIPS = new java.util.concurrent.ConcurrentHashMap<>();

  @TempDir
  static Path dir;

  private static byte[] clip(String encoder, String format) throws Exception {
    byte[] cached = CLIPS.get(encoder + format);
    return cached != null ? cached : CLIPS.computeIfAbsent(encoder + format, k -> encode(encoder, format));
  }

  private static byte[] encode(String encoder, String format) {
    try {
      return encodeOrFail(encoder, format);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] encodeOrFail(String encoder, String format) throws Exception {
    Path out = dir.resolve(encoder + "." + format);
    List<String> command = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
        "-i", "testsrc2=size=320x240:rate=30", "-t", "2", "-pix_fmt", "yuv420p", "-c:v", encoder));
    if (encoder.equals("libx265")) {
      command.addAll(List.of("-x265-params", "bframes=4:keyint=30:log-level=error"));
    } else {
      command.addAll(List.of("-bf", "3", "-g", "30"));
    }
    command.addAll(List.of("-f", format, out.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(log).isZero();
    return Files.readAllBytes(out);
  }

  @ParameterizedTest
  @CsvSource({
      "libx264, mpegts, fps:1",
      "libx264, mpegts, uniform:16",
      "libx265, mp4, fps:1",
      "libx265, mp4, uniform:16",
      "libx264, matroska, fps:5"})
  void keptFramesAreBitIdenticalToAFullDecodeAndDroppedBFramesAreNotDecoded(String encoder, String format,
      String policySpec) throws Exception {
    byte[] clip = clip(encoder, format);
    FramePolicy policy = FramePolicy.parse(policySpec, WINDOW_US, HOP_US);
    VideoPreprocessing pe = VideoPreprocessing.pe(224);
    DecodedChunk all;
    int allDecoded;
    try (ChunkDecoder full = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), pe)) {
      all = full.decode(clip, 0);
      allDecoded = full.lastVideoFramesDecoded();
    }
    DecodedChunk kept;
    int keptDecoded;
    try (ChunkDecoder skipping = new ChunkDecoder(DecodeLimits.defaults(), policy, pe)) {
      kept = skipping.decode(clip, 0);
      keptDecoded = skipping.lastVideoFramesDecoded();
    }
    FrameRate rate = new FrameRate(all.frameRateNum, all.frameRateDen);
    List<Integer> expected = new ArrayList<>();
    for (int f = 0; f < all.frameCount(); f++) {
      if (policy.keeps(all.frameIndex[f], rate)) {
        expected.add(f);
      }
    }
    assertThat(allDecoded).isEqualTo(60);
    assertThat(kept.frameCount()).isEqualTo(expected.size()).isGreaterThan(1);
    for (int i = 0; i < expected.size(); i++) {
      int f = expected.get(i);
      assertThat(kept.framePtsUs[i]).isEqualTo(all.framePtsUs[f]);
      assertThat(kept.frameIndex[i]).isEqualTo(all.frameIndex[f]);
      assertThat(Arrays.copyOfRange(kept.pixels, kept.frameOffset(i), kept.frameOffset(i) + kept.frameFloats()))
          .as("frame %d", f)
          .isEqualTo(Arrays.copyOfRange(all.pixels, all.frameOffset(f), all.frameOffset(f) + all.frameFloats()));
    }
    assertThat(keptDecoded).as("pictures decoded").isLessThan(allDecoded).isGreaterThanOrEqualTo(expected.size());
    assertThat(kept.durationUs).isEqualTo(all.durationUs);
  }
}
