package dev.pestream.operators.bench;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.media.FfmpegLog;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Decode-stage speed against the ffmpeg program doing the same work in one run: 48 kHz mono
 * float audio and S x S RGB frames (bilinear) from the same clip, both single-threaded. The ffmpeg
 * program is the one shipped in the JavaCPP FFmpeg preset (same FFmpeg build as the decoder).
 *
 * <p>Before timing, both outputs are compared (frame count, RGB bytes, audio samples). Timing
 * alternates ours and the CLI's over several rounds; the CLI is timed by its own {@code
 * -benchmark} report (transcoding only, no process start-up: wall {@code rtime}, CPU {@code
 * utime + stime}), ours by wall clock and by this process's CPU time (which includes GC). On a
 * shared machine the CPU-time ratio is the steadier one. Reported: our speed / CLI speed (> 1
 * means we are faster), for the whole clip as one chunk and for the clip cut into 1 s MPEG-TS
 * chunks as the pipeline sees it.
 *
 * <p>Run: {@code mvn -B -q -pl operators -am test-compile exec:exec -Dexec.skip -Dbench=DecodeBenchmark
 * -Dbench.args="--seconds 20 --rounds 5"} (options: --clip FILE, --size S, --seconds N,
 * --rounds N). The ffmpeg program needs libpulse0 (apt-get install libpulse0).
 */
public final class DecodeBenchmark {
  private DecodeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path clip = null;
    int size = 224;
    int seconds = 20;
    int rounds = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--clip" -> clip = Path.of(args[++i]);
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    FfmpegLog.install(); // as in the job: FFmpeg's chatter to SLF4J, not stderr
    Path work = Files.createDirectories(Path.of("target", "decode-bench"));
    if (clip == null) {
      clip = work.resolve("busy-" + seconds + "s.mp4");
      if (!Files.exists(clip)) {
        System.out.println("generating " + clip + " (640x360, 25 fps, H.264 + AAC stereo 44.1 kHz) ...");
        generateBusyClip(clip, seconds);
      }
    }
    String ffmpeg = Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
    String cliVersion = firstLine(run(List.of(ffmpeg, "-hide_banner", "-version")));
    String libVersion = "ffmpeg version " + avutil.av_version_info().getString();
    System.out.println("ffmpeg program: " + ffmpeg);
    System.out.println("  " + cliVersion);
    System.out.println("decoder library: " + libVersion + (cliVersion.startsWith(libVersion + " ") ? "  (same build)" : "  (DIFFERENT)"));

    byte[] bytes = Files.readAllBytes(clip);
    List<byte[]> chunks = segment(ffmpeg, clip, work);
    DecodeLimits limits =
        DecodeLimits.builder().maxPayloadBytes(1 << 30).maxDurationUs(3_600_000_000L).maxVideoFrames(1_000_000)
            .maxDecodeMillis(600_000).decoderThreads(1).build();
    VideoPreprocessing pre = VideoPreprocessing.pe(size);
    try (ChunkDecoder decoder = new ChunkDecoder(limits, new FramePolicy.Native(), pre)) {
      DecodedChunk ours = decoder.decode(bytes, 0);
      compare(ffmpeg, clip, size, ours, pre, work);
      System.out.printf(Locale.ROOT, "clip: %s, %.1f s, %d frames, %d chunks of ~1 s%n",
          clip.getFileName(), ours.audio.length / 48000.0, ours.frameCount(), chunks.size());

      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      List<Double> wallWhole = new ArrayList<>();
      List<Double> wallChunks = new ArrayList<>();
      List<Double> cpuWhole = new ArrayList<>();
      List<Double> cpuChunks = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        double[] cliBefore = cliTimes(ffmpeg, clip, size);
        long wall0 = System.nanoTime();
        long cpu0 = os.getProcessCpuTime();
        decoder.decode(bytes, 0);
        double wholeWall = (System.nanoTime() - wall0) / 1e9;
        double wholeCpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        long wall1 = System.nanoTime();
        long cpu1 = os.getProcessCpuTime();
        long frames = 0;
        for (byte[] chunk : chunks) {
          frames += decoder.decode(chunk, 0, 0, "mpegts").frameCount();
        }
        double chunkWall = (System.nanoTime() - wall1) / 1e9;
        double chunkCpu = (os.getProcessCpuTime() - cpu1) / 1e9;
        double[] cliAfter = cliTimes(ffmpeg, clip, size);
        double cliWall = (cliBefore[0] + cliAfter[0]) / 2;
        double cliCpu = (cliBefore[1] + cliAfter[1]) / 2;
        wallWhole.add(cliWall / wholeWall);
        wallChunks.add(cliWall / chunkWall);
        cpuWhole.add(cliCpu / wholeCpu);
        cpuChunks.add(cliCpu / chunkCpu);
        System.out.printf(Locale.ROOT,
            "round %d: CLI %.3f s wall / %.3f s CPU | ours whole clip %.3f / %.3f | ours %d chunks (%d frames) %.3f / %.3f%n",
            r + 1, cliWall, cliCpu, wholeWall, wholeCpu, chunks.size(), frames, chunkWall, chunkCpu);
      }
      System.out.printf(Locale.ROOT,
          "our speed / CLI speed, median of %d rounds (goal >= 0.9):%n"
              + "  CPU time:  whole clip %.2f, 1 s chunks %.2f%n"
              + "  wall time: whole clip %.2f, 1 s chunks %.2f%n",
          rounds, median(cpuWhole), median(cpuChunks), median(wallWhole), median(wallChunks));
    }
  }

  /** The CLI's own transcoding wall and CPU seconds ({@code -benchmark}) for the same outputs, to /dev/null. */
  private static double[] cliTimes(String ffmpeg, Path clip, int size) throws Exception {
    String out = run(cliCommand(ffmpeg, clip, size, "/dev/null", "/dev/null", true));
    Matcher m = Pattern.compile("utime=([0-9.]+)s stime=([0-9.]+)s rtime=([0-9.]+)s").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no -benchmark report in: " + out);
    }
    return new double[] {
      Double.parseDouble(m.group(3)), Double.parseDouble(m.group(1)) + Double.parseDouble(m.group(2))
    };
  }

  private static List<String> cliCommand(String ffmpeg, Path clip, int size, String video, String audio, boolean bench) {
    // -benchmark reports at info level
    List<String> cmd =
        new ArrayList<>(List.of(ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", bench ? "info" : "error"));
    if (bench) {
      cmd.add("-benchmark");
    }
    cmd.addAll(List.of(
        "-threads", "1", "-filter_threads", "1", "-i", clip.toString(),
        // the decoder's two scaler steps (RGB at the native size, then the bilinear resize with full chroma) and
        // its mean downmix (docs/preprocessing.md)
        "-map", "0:v:0", "-vf", "scale=flags=bilinear,format=rgb24,scale=" + size + ":" + size
            + ":flags=bilinear+full_chroma_inp+full_chroma_int", "-pix_fmt", "rgb24", "-f", "rawvideo", "-y", video,
        "-map", "0:a:0", "-af", "pan=mono|c0=0.5*c0+0.5*c1", "-ar", "48000", "-f", "f32le", "-y", audio));
    return cmd;
  }

  /** Checks that the CLI and the decoder produce the same frames and samples. */
  private static void compare(String ffmpeg, Path clip, int size, DecodedChunk ours, VideoPreprocessing pre, Path work)
      throws Exception {
    Path rgb = work.resolve("cli.rgb");
    Path pcm = work.resolve("cli.f32");
    run(cliCommand(ffmpeg, clip, size, rgb.toString(), pcm.toString(), false));
    byte[] cliRgb = Files.readAllBytes(rgb);
    int frameBytes = 3 * size * size;
    int cliFrames = cliRgb.length / frameBytes;
    int plane = size * size;
    int maxDiff = 0;
    long sumDiff = 0;
    int frames = Math.min(cliFrames, ours.frameCount());
    for (int f = 0; f < frames; f++) {
      for (int i = 0; i < plane; i++) {
        for (int c = 0; c < 3; c++) {
          int mine = pre.byteValueOf(c, ours.pixels[ours.frameOffset(f) + c * plane + i]);
          int theirs = cliRgb[f * frameBytes + 3 * i + c] & 0xff;
          int d = Math.abs(mine - theirs);
          maxDiff = Math.max(maxDiff, d);
          sumDiff += d;
        }
      }
    }
    FloatBuffer cliAudio = ByteBuffer.wrap(Files.readAllBytes(pcm)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int samples = Math.min(cliAudio.remaining(), ours.audio.length);
    double maxAudio = 0;
    for (int i = 0; i < samples; i++) {
      maxAudio = Math.max(maxAudio, Math.abs(cliAudio.get(i) - ours.audio[i]));
    }
    System.out.printf(Locale.ROOT,
        "same output? frames CLI %d / ours %d, RGB max |diff| %d, mean %.4f levels; audio samples CLI %d / ours %d, max |diff| %.2e%n",
        cliFrames, ours.frameCount(), maxDiff, frames == 0 ? 0.0 : (double) sumDiff / ((long) frames * frameBytes),
        cliAudio.remaining(), ours.audio.length, maxAudio);
  }

  /** The clip cut at keyframes into ~1 s MPEG-TS chunks (stream copy), as the ingest command would. */
  private static List<byte[]> segment(String ffmpeg, Path clip, Path work) throws Exception {
    Path dir = Files.createDirectories(work.resolve("chunks"));
    try (Stream<Path> old = Files.list(dir)) {
      for (Path p : old.toList()) {
        Files.delete(p);
      }
    }
    run(List.of(ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", clip.toString(), "-c", "copy",
        "-f", "segment", "-segment_time", "1", "-segment_format", "mpegts", dir.resolve("c%04d.ts").toString()));
    List<byte[]> chunks = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.sorted().toList()) {
        chunks.add(Files.readAllBytes(p));
      }
    }
    return chunks;
  }

  /** A clip that is expensive to decode: moving noise over gradients, not flat colour. */
  private static void generateBusyClip(Path file, int seconds) throws Exception {
    int w = 640;
    int h = 360;
    int fps = 25;
    Random random = new Random(42);
    byte[] noise = new byte[(w + 400) * h];
    random.nextBytes(noise);
    try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), w, h, 2)) {
      r.setFormat("mp4");
      r.setVideoCodec(AV_CODEC_ID_H264);
      r.setPixelFormat(AV_PIX_FMT_YUV420P);
      r.setFrameRate(fps);
      r.setGopSize(fps);
      r.setVideoBitrate(1_500_000);
      r.setAudioCodec(AV_CODEC_ID_AAC);
      r.setSampleRate(44_100);
      r.setAudioChannels(2);
      r.setAudioBitrate(128_000);
      r.setOption("movflags", "+faststart");
      r.start();
      try (Frame frame = new Frame(w, h, Frame.DEPTH_UBYTE, 3)) {
        ByteBuffer image = (ByteBuffer) frame.image[0];
        int stride = frame.imageStride;
        long samples = 0;
        for (int f = 0; f < seconds * fps; f++) {
          int shift = (f * 7) % 400;
          for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
              int n = noise[y * (w + 400) + x + shift] & 0x3f;
              image.put(y * stride + 3 * x, (byte) ((x + f) & 0xff ^ n));
              image.put(y * stride + 3 * x + 1, (byte) ((y * 2 + n) & 0xff));
              image.put(y * stride + 3 * x + 2, (byte) (((x ^ y) + 3 * f) & 0xff));
            }
          }
          r.setFrameNumber(f);
          r.record(frame);
          long until = Math.round((f + 1) * 44_100.0 / fps);
          FloatBuffer audio = FloatBuffer.allocate((int) (until - samples) * 2);
          for (long s = samples; s < until; s++) {
            float v = (float) (0.3 * Math.sin(2 * Math.PI * (220 + s / 441.0) * s / 44_100.0) + 0.05 * random.nextGaussian());
            audio.put(v).put(v * 0.8f);
          }
          audio.flip();
          r.recordSamples(44_100, 2, audio);
          samples = until;
        }
      }
      r.stop();
    }
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // The preset's program finds its shared libraries next to it (the JavaCPP cache).
    String libs = Path.of(command.get(0)).getParent().toString();
    String existing = System.getenv("LD_LIBRARY_PATH");
    builder.environment().put("LD_LIBRARY_PATH", existing == null ? libs : libs + ":" + existing);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    }
    return out;
  }

  private static String firstLine(String text) {
    int nl = text.indexOf('\n');
    return nl < 0 ? text.strip() : text.substring(0, nl).strip();
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
