package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.CaptionFramePolicy;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Media as cameras and phones write it, generated with the ffmpeg program at test time, through
 * ingest's chunker and the job's decoder: display-matrix rotation, variable frame rate, long
 * GOPs, and audio at every common rate and channel layout.
 */
class DeviceMediaTest {
  private static final long SECOND = 1_000_000L;
  private static final int S = 16;
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(S);

  private static Path dir;
  private static ChunkDecoder decoder;

  @BeforeAll
  static void setUp() throws IOException {
    dir = Files.createDirectories(Path.of("target", "device-media"));
    decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE);
  }

  @AfterAll
  static void tearDown() {
    decoder.close();
  }

  private static List<ChunkData> chunk(Path source, ChunkingSettings settings) throws Exception {
    List<ChunkData> chunks = new ArrayList<>();
    MediaChunker.Connection c = MediaChunker.read(source.toString(), null, settings, 0, 10 * SECOND, () -> false, chunks::add);
    assertThat(c.failure()).isNull();
    return chunks;
  }

  private static List<DecodedChunk> decode(List<ChunkData> chunks) throws Exception {
    List<DecodedChunk> out = new ArrayList<>();
    for (ChunkData c : chunks) {
      out.add(decoder.decode(c.bytes(), c.startUs(), c.durationUs(), c.container()));
    }
    return out;
  }

  /**
   * A landscape picture, red in its top-left quarter, blue elsewhere, stored with a display
   * matrix (the rotate tag of Debian's ffmpeg 5.1): the model picture is turned exactly as the
   * ffmpeg program's autorotation turns it.
   */
  @ParameterizedTest(name = "rotate {0}, transcode {1}")
  @CsvSource({"90,false", "180,false", "270,false", "90,true"})
  void displayMatrixRotationIsHonouredAsTheFfmpegProgramDoes(int rotate, boolean transcode) throws Exception {
    Path landscape = dir.resolve("landscape.mp4");
    LiveMedia.ffmpeg(dir, "-f", "lavfi", "-i", "color=c=blue:s=320x180:r=25,drawbox=x=0:y=0:w=160:h=90:c=red:t=fill",
        "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", landscape.toString());
    // ffmpeg 5.1 writes the rotate tag as a display matrix when it copies the stream, not when it encodes
    Path clip = dir.resolve("rotated-" + rotate + ".mp4");
    LiveMedia.ffmpeg(dir, "-i", landscape.toString(), "-c", "copy", "-metadata:s:v:0", "rotate=" + rotate, clip.toString());
    boolean[] expected = redQuarters(ffmpegPicture(clip));

    List<ChunkData> chunks = chunk(clip, transcode
        ? new ChunkingSettings(SECOND, ChunkingSettings.Container.AUTO, ChunkingSettings.AudioFormat.FLAC, true, 500_000)
        : ChunkingSettings.defaults());
    assertThat(chunks).allSatisfy(c -> assertThat(c.container()).as("MPEG-TS would drop the matrix")
        .isEqualTo(transcode ? "matroska" : "mp4"));
    DecodedChunk decoded = decode(chunks).get(0);
    assertThat(decoded.imageSize).isEqualTo(S);
    byte[] ours = new byte[3 * S * S];
    int plane = S * S;
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        ours[3 * i + c] = (byte) PRE.byteValueOf(c, decoded.pixels[decoded.frameOffset(0) + c * plane + i]);
      }
    }
    assertThat(redQuarters(ours)).as("red quarter (top-left, top-right, bottom-left, bottom-right) after %d", rotate)
        .containsExactly(expected);
    try (ChunkDecoder withCaptions = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE,
        new CaptionFramePolicy(SECOND, S, 0.95f))) {
      ChunkData first = chunks.get(0);
      DecodedChunk captioned = withCaptions.decode(first.bytes(), first.startUs(), first.durationUs(), first.container());
      java.awt.image.BufferedImage jpeg = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(captioned.captionJpegs[0]));
      byte[] caption = new byte[3 * S * S];
      for (int y = 0; y < S; y++) {
        for (int x = 0; x < S; x++) {
          int rgb = jpeg.getRGB(x, y);
          caption[3 * (y * S + x)] = (byte) (rgb >> 16);
          caption[3 * (y * S + x) + 2] = (byte) rgb;
        }
      }
      assertThat(redQuarters(caption)).as("caption frame turned the same way").containsExactly(expected);
    }
    assertThat(expected).as("the ffmpeg program turned the picture").isNotEqualTo(new boolean[] {true, false, false, false});
  }

  /** The first picture as the ffmpeg program shows it (autorotated), resized to S x S RGB. */
  private static byte[] ffmpegPicture(Path clip) throws Exception {
    Path raw = dir.resolve(clip.getFileName() + ".rgb");
    LiveMedia.ffmpeg(dir, "-i", clip.toString(), "-frames:v", "1", "-vf", "scale=" + S + ":" + S, "-f", "rawvideo",
        "-pix_fmt", "rgb24", raw.toString());
    return Files.readAllBytes(raw);
  }

  /** Which quarter of an S x S RGB picture is mostly red: top-left, top-right, bottom-left, bottom-right. */
  private static boolean[] redQuarters(byte[] rgb) {
    boolean[] red = new boolean[4];
    int half = S / 2;
    for (int q = 0; q < 4; q++) {
      long r = 0;
      long b = 0;
      for (int y = (q / 2) * half; y < (q / 2 + 1) * half; y++) {
        for (int x = (q % 2) * half; x < (q % 2 + 1) * half; x++) {
          r += rgb[3 * (y * S + x)] & 0xff;
          b += rgb[3 * (y * S + x) + 2] & 0xff;
        }
      }
      red[q] = r > b;
    }
    return red;
  }

  /**
   * Variable frame rate, as phones record in low light: 15 fps for 2 s, then 30 fps. Every picture
   * reaches the model at its own timestamp (the one ffprobe reports), and the tone at 2.5 s
   * stays at 2.5 s.
   */
  @Test
  void variableFrameRateTimestampsAreKept() throws Exception {
    Path clip = dir.resolve("vfr.mp4");
    LiveMedia.ffmpeg(dir, "-f", "lavfi", "-i", "testsrc2=s=160x120:r=30",
        "-f", "lavfi", "-i", "aevalsrc='if(between(t\\,2.5\\,3.5)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:c=mono",
        "-vf", "setpts='if(lt(N\\,30)\\,N*2\\,N+30)/30/TB'", "-vsync", "vfr", "-frames:v", "90", "-t", "4",
        "-c:v", "libx264", "-bf", "0", "-g", "15", "-video_track_timescale", "90000", "-c:a", "pcm_s16le", "-f", "mov",
        clip.toString());
    List<Long> expected = probeFrameTimesUs(clip, false);
    assertThat(expected).hasSize(90);
    assertThat(expected.get(1) - expected.get(0)).isCloseTo(66_667L, within(1_000L));
    assertThat(expected.get(89) - expected.get(88)).isCloseTo(33_333L, within(1_000L));

    List<DecodedChunk> decoded = decode(chunk(clip, ChunkingSettings.defaults()));
    List<Long> times = new ArrayList<>();
    long onset = -1;
    for (DecodedChunk d : decoded) {
      Arrays.stream(d.framePtsUs).forEach(times::add);
      if (onset < 0) {
        onset = onsetUs(d);
      }
    }
    assertThat(times).hasSameSizeAs(expected);
    for (int i = 0; i < times.size(); i++) {
      assertThat(times.get(i)).as("picture %d", i).isCloseTo(expected.get(i), within(1_000L));
    }
    assertThat(onset).isCloseTo(2_500_000L, within(1_000L));
  }

  /**
   * A camera's long GOP (a keyframe every 6 s): remuxed chunks follow the keyframes (6 s each, so
   * up to 6 s of latency); --transcode cuts 1 s chunks anyway.
   */
  @Test
  void longGopChunksFollowKeyframesOrAreTranscodedToOneSecond() throws Exception {
    Path clip = dir.resolve("long-gop.mp4");
    LiveMedia.ffmpeg(dir, "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25",
        "-f", "lavfi", "-i", "aevalsrc='if(between(t\\,7\\,8)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:c=mono",
        "-t", "20", "-c:v", "libx264", "-g", "150", "-keyint_min", "150", "-sc_threshold", "0", "-c:a", "aac",
        clip.toString());
    List<Long> keyframes = probeFrameTimesUs(clip, true);
    assertThat(keyframes).hasSize(4);

    List<ChunkData> remuxed = chunk(clip, ChunkingSettings.defaults());
    assertThat(remuxed).extracting(ChunkData::startUs).hasSize(4);
    for (int i = 0; i < remuxed.size(); i++) {
      assertThat(remuxed.get(i).startUs()).as("chunk %d starts at a keyframe", i)
          .isCloseTo(keyframes.get(i) - keyframes.get(0), within(25_000L));
    }
    assertThat(remuxed.get(0).durationUs()).isCloseTo(6 * SECOND, within(40_000L));
    List<DecodedChunk> decodedRemux = decode(remuxed);
    assertThat(decodedRemux.stream().mapToInt(DecodedChunk::frameCount).sum()).isEqualTo(500);
    assertThat(decodedRemux.stream().mapToLong(DeviceMediaTest::onsetUs).filter(t -> t >= 0).findFirst().orElse(-1))
        .isCloseTo(7 * SECOND, within(2_000L));

    ChunkingSettings transcode = new ChunkingSettings(SECOND, ChunkingSettings.Container.AUTO,
        ChunkingSettings.AudioFormat.FLAC, true, 500_000);
    List<ChunkData> transcoded = chunk(clip, transcode);
    assertThat(transcoded).hasSize(20);
    for (int i = 0; i < transcoded.size(); i++) {
      assertThat(transcoded.get(i).startUs()).isEqualTo(i * SECOND);
      assertThat(transcoded.get(i).durationUs()).isEqualTo(SECOND);
    }
    List<DecodedChunk> decodedTranscode = decode(transcoded);
    assertThat(decodedTranscode).allSatisfy(d -> assertThat(d.frameCount()).isEqualTo(25));
    assertThat(onsetUs(decodedTranscode.get(7))).isCloseTo(7 * SECOND, within(2_000L));
  }

  /**
   * Audio at every common rate, mono, stereo and 5.1, with a tone on every channel from 1 s to
   * 2 s: the decode stage gives mono 48 kHz (FFmpeg's resampler; the downmix keeps the level of a
   * signal present on all channels, stereo is the channel mean as the reference extractor's
   * downmix), and the tone is one run at the right time across the chunk seams.
   */
  @ParameterizedTest(name = "{0} Hz {1}")
  @CsvSource({
    "8000,mono", "8000,stereo", "8000,5.1",
    "16000,mono", "16000,stereo", "16000,5.1",
    "22050,mono", "22050,stereo", "22050,5.1",
    "44100,mono", "44100,stereo", "44100,5.1",
    "48000,mono", "48000,stereo", "48000,5.1",
    "96000,mono", "96000,stereo", "96000,5.1"})
  void audioAtEveryRateAndLayoutBecomesMono48kWithTheToneInPlace(int rate, String layout) throws Exception {
    Path clip = dir.resolve(String.format(Locale.ROOT, "tone-%d-%s.wav", rate, layout));
    LiveMedia.ffmpeg(dir, "-f", "lavfi", "-i",
        "aevalsrc='if(between(t\\,1\\,2)\\,0.5*sin(2*PI*1000*t)\\,0)':s=" + rate + ":c=" + layout,
        "-t", "3", "-c:a", "pcm_s16le", clip.toString());
    List<DecodedChunk> decoded = decode(chunk(clip, ChunkingSettings.defaults()));
    assertThat(decoded).hasSize(3);
    float[] audio = new float[0];
    for (DecodedChunk d : decoded) {
      assertThat(d.audioStartSample).as("contiguous").isEqualTo(audio.length);
      audio = concat(audio, d.audio);
    }
    assertThat(audio.length).isCloseTo(3 * AudioClock.SAMPLE_RATE, within(AudioClock.SAMPLE_RATE / 100));
    int ms = AudioClock.SAMPLE_RATE / 1000;
    int first = -1;
    int last = -1;
    for (int i = 0; i < audio.length; i++) {
      if (Math.abs(audio[i]) > 0.25f) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    assertThat(first).as("onset").isCloseTo(AudioClock.SAMPLE_RATE, within(ms));
    assertThat(last).as("end").isCloseTo(2 * AudioClock.SAMPLE_RATE, within(ms));
    for (int from = first; from + ms <= last; from += ms) {
      float peak = 0;
      for (int i = from; i < from + ms; i++) {
        peak = Math.max(peak, Math.abs(audio[i]));
      }
      assertThat(peak).as("one run of tone at its level, ms %d", from / ms).isBetween(0.45f, 0.55f);
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Stream time of the first sample above a quarter (the tone's amplitude is a half), or -1. */
  private static long onsetUs(DecodedChunk d) {
    for (int i = 0; i < d.audio.length; i++) {
      if (Math.abs(d.audio[i]) > 0.25f) {
        return AudioClock.timeUsOf(d.audioStartSample + i);
      }
    }
    return -1;
  }

  /** Video frame (or keyframe) times from ffprobe, relative to the file's start time. */
  private static List<Long> probeFrameTimesUs(Path clip, boolean keyframesOnly) throws Exception {
    List<String> command = new ArrayList<>(List.of("ffprobe", "-v", "error", "-select_streams", "v:0"));
    if (keyframesOnly) {
      command.addAll(List.of("-skip_frame", "nokey"));
    }
    command.addAll(List.of("-show_entries", "frame=pts_time:format=start_time", "-of", "csv=p=0", clip.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().map(String::strip)
        .filter(l -> !l.isEmpty()).toList();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
    double start = Double.parseDouble(lines.get(lines.size() - 1).replace(",", ""));
    List<Long> times = new ArrayList<>();
    for (String line : lines.subList(0, lines.size() - 1)) {
      times.add(Math.round((Double.parseDouble(line.replace(",", "")) - start) * SECOND));
    }
    return times;
  }
}
