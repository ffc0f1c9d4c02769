package dev.pestream.operators.bench;

import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Decode only what the models use: decode-stage CPU time of {@code fps:1} and {@code uniform:16}
 * against {@code native} on 1080p30 H.264 and HEVC cut into 1 s MPEG-TS chunks (as the ingest
 * command cuts them), measured side by side in one run, and the 1080p streams one core decodes in
 * real time per policy. With a dropping policy the decoder neither scales nor converts dropped
 * frames and does not decode those no other frame references (B-frames).
 *
 * <p>The clips come from Debian's ffmpeg (libx264 {@code veryfast}, libx265 {@code ultrafast}, both
 * with B-frames, keyframe every second; moving test pattern plus temporal noise). Timing: the
 * decoding thread's CPU time, policies alternating over the rounds (median), one decoder per policy
 * as in a subtask, S = 224 as the PE frame encoders take. Run (not CI):
 * {@code scripts/bench.sh operators dev.pestream.operators.bench.FramePolicyBenchmark --seconds 6 --rounds 5}
 */
public final class FramePolicyBenchmark {
  private static final long WINDOW_US = 10_000_000;
  private static final long HOP_US = 2_000_000;

  private FramePolicyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int seconds = 6;
    int rounds = 5;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path dir = Files.createTempDirectory("frame-policy-bench-");
    Map<String, FramePolicy> policies = new LinkedHashMap<>();
    for (String spec : List.of("native", "fps:1", "uniform:16")) {
      policies.put(spec, FramePolicy.parse(spec, WINDOW_US, HOP_US));
    }
    System.out.printf("1080p30, %d s cut into 1 s MPEG-TS chunks, S = 224, %d rounds, CPU time of the decoding thread%n",
        seconds, rounds);
    for (String codec : List.of("libx264", "libx265")) {
      List<byte[]> chunks = chunks(codec, seconds, dir.resolve(codec));
      Map<String, List<Double>> cpuSeconds = new LinkedHashMap<>();
      Map<String, Integer> kept = new LinkedHashMap<>();
      Map<String, Integer> decoded = new LinkedHashMap<>();
      Map<String, ChunkDecoder> decoders = new LinkedHashMap<>();
      policies.forEach((spec, policy) -> decoders.put(spec,
          // no wall-time budget: on a shared machine a 1080p chunk can take longer than the job's 10 s
          new ChunkDecoder(DecodeLimits.defaults().toBuilder().maxDecodeMillis(600_000).build(), policy,
              VideoPreprocessing.pe(224))));
      try {
        for (int round = -1; round < rounds; round++) { // round -1 warms up
          for (Map.Entry<String, ChunkDecoder> e : decoders.entrySet()) {
            int[] counts = new int[2];
            double cpu = decodeAll(e.getValue(), chunks, counts);
            if (round >= 0) {
              cpuSeconds.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(cpu);
              kept.put(e.getKey(), counts[0]);
              decoded.put(e.getKey(), counts[1]);
            }
          }
        }
      } finally {
        decoders.values().forEach(ChunkDecoder::close);
      }
      double nativeCpu = median(cpuSeconds.get("native"));
      for (String spec : policies.keySet()) {
        double cpu = median(cpuSeconds.get(spec));
        System.out.printf(Locale.ROOT, "%s %-11s frames kept %4d, decoded %4d of %d: %.3f s CPU for %d s of video,"
                + " speed-up vs native %.2f, real-time 1080p streams per core %.1f%n", codec, spec, kept.get(spec),
            decoded.get(spec), decoded.get("native"), cpu, seconds, nativeCpu / cpu, seconds / cpu);
      }
    }
  }

  private static double decodeAll(ChunkDecoder decoder, List<byte[]> chunks, int[] counts) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long start = mx.getCurrentThreadCpuTime();
    long startUs = 0;
    for (byte[] chunk : chunks) {
      var out = decoder.decode(chunk, startUs, 1_000_000, "mpegts");
      counts[0] += out.frameCount();
      counts[1] += decoder.lastVideoFramesDecoded();
      startUs += 1_000_000;
    }
    return (mx.getCurrentThreadCpuTime() - start) / 1e9;
  }

  /** A 1080p30 clip with B-frames from Debian's ffmpeg, cut into 1 s MPEG-TS chunks (stream copy). */
  private static List<byte[]> chunks(String codec, int seconds, Path dir) throws Exception {
    Files.createDirectories(dir);
    Path clip = dir.resolve("clip.ts");
    List<String> encode = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
        "testsrc2=size=1920x1080:rate=30,noise=alls=12:allf=t", "-t", Integer.toString(seconds), "-pix_fmt",
        "yuv420p", "-c:v", codec));
    if (codec.equals("libx265")) {
      encode.addAll(List.of("-preset", "ultrafast", "-x265-params", "keyint=30:min-keyint=30:bframes=3:log-level=error"));
    } else {
      encode.addAll(List.of("-preset", "veryfast", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0"));
    }
    encode.add(clip.toString());
    run(encode);
    run(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", clip.toString(), "-c", "copy", "-f", "segment",
        "-segment_time", "1", "-reset_timestamps", "1", dir.resolve("chunk%03d.ts").toString()));
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> sorted = files.filter(p -> p.getFileName().toString().startsWith("chunk")).sorted().toList();
      List<byte[]> out = new ArrayList<>();
      for (Path p : sorted) {
        out.add(Files.readAllBytes(p));
      }
      return out;
    }
  }

  private static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + log);
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
