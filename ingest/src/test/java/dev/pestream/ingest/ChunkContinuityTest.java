package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;

import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 15: a continuous tone must come out of the remux chunker and the job's decoder as one
 * continuous signal on the stream clock, whatever the video codec and the chunk container: no
 * overlap or gap between the audio of consecutive chunks, the whole source duration, and video
 * frames at their source times.
 *
 * <p>The HEVC sources are fixtures (FFmpeg's bundled build has no HEVC encoder), made with
 * Debian's ffmpeg 5.1 / libx265 as phones record them, open GOPs (leading pictures after each
 * CRA keyframe) and AAC at 44.1 kHz:
 *
 * <pre>
 * ffmpeg -f lavfi -i testsrc2=size=160x96:rate=30 -f lavfi -i sine=frequency=1000:sample_rate=44100 -t 4 \
 *   -c:v libx265 -x265-params keyint=30 -pix_fmt yuv420p -b:v 60k -c:a aac -ac 2 -b:a 48k \
 *   -map_metadata -1 -fflags +bitexact hevc-aac-tone.mp4   # and .mov
 * </pre>
 *
 * H.264 (OpenH264, no B-frames) and MPEG-4 part 2 (with B-frames) sources are generated.
 */
class ChunkContinuityTest {
  private static final long SECOND = 1_000_000L;
  private static final int FPS = 30;
  private static final double DURATION_S = 4.0;
  private static final long FRAME_US = SECOND / FPS;
  /** One video frame at 48 kHz. */
  private static final long FRAME_SAMPLES = AudioClock.SAMPLE_RATE / FPS;

  private static Path dir;
  private static ChunkDecoder decoder;

  @BeforeAll
  static void setUp() throws Exception {
    dir = Files.createTempDirectory("chunk-continuity");
    for (String name : List.of("hevc-aac-tone.mp4", "hevc-aac-tone.mov")) {
      try (InputStream in = ChunkContinuityTest.class.getResourceAsStream("/media/" + name)) {
        Files.copy(in, dir.resolve(name));
      }
    }
    write("h264.mp4", synthetic().videoCodec(AV_CODEC_ID_H264));
    write("mpeg4-bframes.mp4", synthetic().videoCodec(AV_CODEC_ID_MPEG4).bFrames(2));
    write("mpeg4-bframes.ts", synthetic().container(Container.MPEGTS).videoCodec(AV_CODEC_ID_MPEG4).bFrames(2));
    decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(16));
  }

  @AfterAll
  static void tearDown() {
    decoder.close();
  }

  private static SyntheticMedia.Spec synthetic() {
    return SyntheticMedia.spec()
        .container(Container.MP4_MOOV_AT_END)
        .fps(FPS)
        .duration(DURATION_S)
        .sampleRate(44_100)
        .tone(0, DURATION_S, 1000);
  }

  private static void write(String name, SyntheticMedia.Spec spec) throws Exception {
    Files.write(dir.resolve(name), SyntheticMedia.generate(spec, dir));
  }

  /** Every video codec the chunker remuxes × every container it writes that codec into. */
  static Stream<Arguments> sources() {
    List<Arguments> cases = new ArrayList<>();
    for (String source : List.of("hevc-aac-tone.mp4", "h264.mp4", "mpeg4-bframes.mp4")) {
      for (ChunkingSettings.Container c : ChunkingSettings.Container.values()) {
        cases.add(Arguments.of(source, c));
      }
    }
    cases.add(Arguments.of("hevc-aac-tone.mov", ChunkingSettings.Container.AUTO));
    // MPEG-4 part 2 with its headers in-band (from MPEG-TS) rather than in the extradata.
    cases.add(Arguments.of("mpeg4-bframes.ts", ChunkingSettings.Container.AUTO));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} as {1}")
  @MethodSource("sources")
  void audioAndVideoStayContinuousAcrossChunks(String source, ChunkingSettings.Container container)
      throws Exception {
    List<ChunkData> chunks = new ArrayList<>();
    ChunkingSettings settings =
        new ChunkingSettings(SECOND, container, ChunkingSettings.AudioFormat.FLAC, false, 1_000_000);
    MediaChunker.Connection c =
        MediaChunker.read(dir.resolve(source).toString(), null, settings, 0, 10 * SECOND, () -> false, chunks::add);
    assertThat(c.failure()).isNull();
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(3);

    List<DecodedChunk> decoded = new ArrayList<>();
    StringBuilder trace = new StringBuilder(source + " as " + container + ":");
    for (ChunkData chunk : chunks) {
      DecodedChunk d;
      try {
        d = decoder.decode(chunk.bytes(), chunk.startUs(), chunk.durationUs(), chunk.container());
      } catch (dev.pestream.operators.decode.DecodeException e) {
        throw new AssertionError(
            trace + String.format("%n  chunk %s start %d dur %d -> %s", chunk.container(), chunk.startUs(),
                chunk.durationUs(), e.getMessage()),
            e);
      }
      decoded.add(d);
      trace.append(String.format(
          "%n  chunk %s start %d dur %d -> audio [%d, %d) samples = [%.4f, %.4f) s, %d frames %s",
          chunk.container(), chunk.startUs(), chunk.durationUs(), d.audioStartSample, d.audioEndSample(),
          d.audioStartSample / 48000.0, d.audioEndSample() / 48000.0, d.frameCount(),
          d.frameCount() == 0 ? "" : "[" + d.framePtsUs[0] + " .. " + d.framePtsUs[d.frameCount() - 1] + "]"));
    }

    // Audio: one continuous signal from 0 to the source's end. Matroska timestamps and the
    // edit lists of MP4 chunks are in milliseconds: half a millisecond either way is the
    // container's rounding, not a seam.
    long tolerance = chunks.get(0).container().equals("mpegts") ? 1 : AudioClock.SAMPLE_RATE / 1000;
    // An MPEG-TS source keeps its AAC priming: its video starts one AAC frame after its audio,
    // and the chunks start at its first keyframe.
    long videoStartUs = source.endsWith(".ts") ? 1024 * SECOND / 44_100 : 0;
    long startSample = AudioClock.sampleIndexOf(videoStartUs);
    assertThat(decoded.get(0).audioStartSample).as("audio start\n%s", trace)
        .isCloseTo(startSample, within(FRAME_SAMPLES));
    for (int k = 1; k < decoded.size(); k++) {
      assertThat(decoded.get(k).audioStartSample)
          .as("audio of chunk %d starts where chunk %d's ends (no overlap, no gap)\n%s", k, k - 1, trace)
          .isCloseTo(decoded.get(k - 1).audioEndSample(), within(tolerance));
    }
    long totalSamples = (long) (DURATION_S * AudioClock.SAMPLE_RATE);
    assertThat(decoded.get(decoded.size() - 1).audioEndSample())
        .as("audio end\n%s", trace)
        .isCloseTo(startSample + totalSamples, within(FRAME_SAMPLES));
    for (int k = 0; k < decoded.size(); k++) {
      assertThat(rms(decoded.get(k).audio)).as("chunk %d carries the tone\n%s", k, trace).isGreaterThan(0.05);
    }

    // Video: frames at their source times, in order, each once.
    List<Long> pts = new ArrayList<>();
    for (DecodedChunk d : decoded) {
      for (long p : d.framePtsUs) {
        pts.add(p);
      }
    }
    assertThat(pts).as("video frames\n%s", trace).isSorted().doesNotHaveDuplicates();
    for (long p : pts) {
      long frame = Math.round((double) (p - videoStartUs) / FRAME_US);
      assertThat(p).as("frame pts on the source's 30 fps grid\n%s", trace)
          .isCloseTo(videoStartUs + frame * SECOND / FPS, within(1000L));
    }
    assertThat(pts.get(0)).as("first frame\n%s", trace).isCloseTo(videoStartUs, within(1000L));
    assertThat(pts.get(pts.size() - 1)).as("last frame\n%s", trace)
        .isCloseTo(videoStartUs + (long) (DURATION_S * FPS - 1) * SECOND / FPS, within(1000L));
    // Open GOPs (HEVC from x265, MPEG-4 with B-frames): the leading pictures of each later chunk's
    // keyframe reference the GOP before it, so no self-contained chunk can show them.
    int frames = (int) (DURATION_S * FPS);
    if (source.startsWith("h264")) {
      assertThat(pts).as("every frame\n%s", trace).hasSize(frames);
    } else {
      assertThat(pts.size()).as("frames\n%s", trace).isBetween(frames - 3 * (chunks.size() - 1), frames);
    }
  }

  private static double rms(float[] samples) {
    double sum = 0;
    for (float s : samples) {
      sum += (double) s * s;
    }
    return samples.length == 0 ? 0 : Math.sqrt(sum / samples.length);
  }
}
