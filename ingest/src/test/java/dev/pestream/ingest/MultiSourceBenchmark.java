package dev.pestream.ingest;

import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;

/**
 * Benchmark (not CI): N live sources in one {@code pestream ingest --sources} process, half HTTP
 * MPEG-TS paced at real time by a Java server, half live HLS (ffmpeg {@code -re -c copy} writing a
 * growing playlist, served by nginx), all from one clip encoded once, remuxed only. The ingest
 * process starts with an empty sources file (idle CPU and RSS), then the N sources are written
 * into the file (the watch picks them up) and it runs for the given time; its CPU (utime + stime
 * from /proc) and resident memory are measured, then SIGTERM, and Kafka is read back: every
 * stream's chunks in order, sequence numbers without gaps, as many as the ingest says it sent.
 *
 * <pre>scripts/bench.sh ingest dev.pestream.ingest.MultiSourceBenchmark --streams 50 --seconds 120 [--ingest-heap 1g]</pre>
 */
public final class MultiSourceBenchmark {
  private static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);
  private static final long CLK_TCK = 100;

  public static void main(String[] args) throws Exception {
    int streams = 50;
    int seconds = 120;
    String heap = "1g";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--streams" -> streams = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--ingest-heap" -> heap = args[++i];
        default -> throw new IllegalArgumentException("usage: --streams N --seconds S --ingest-heap 1g");
      }
    }
    Path work = Files.createDirectories(Path.of("target/bench-scratch/multi-source"));
    Path clip = work.resolve("clip.ts");
    double clipSeconds = seconds + 60;
    if (!Files.exists(clip)) {
      run(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
          "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", Double.toString(clipSeconds),
          "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-b:v", "800k", "-c:a", "aac", "-b:a", "64k",
          "-f", "mpegts", clip.toString()));
    }
    byte[] bytes = Files.readAllBytes(clip);
    int hls = streams / 2;
    List<Process> hlsWriters = new ArrayList<>();
    Process nginx = null;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        PacedMediaServer http = new PacedMediaServer(bytes, clipSeconds)) {
      KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
      String topic = kafka.newTopic("bench-fleet", 4);
      Path hlsRoot = work.resolve("hls");
      deleteTree(hlsRoot);
      int nginxPort = freePort();
      nginx = startNginx(work, hlsRoot, nginxPort);
      StringBuilder yaml = new StringBuilder("sources:\n");
      for (int k = 0; k < streams; k++) {
        String id = "s" + k;
        String url;
        if (k < hls) {
          Path dir = Files.createDirectories(hlsRoot.resolve(id));
          hlsWriters.add(new ProcessBuilder("ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", clip.toString(),
              "-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-hls_flags", "delete_segments",
              dir.resolve("live.m3u8").toString()).redirectErrorStream(true)
              .redirectOutput(work.resolve("ffmpeg-" + id + ".log").toFile()).start());
          url = "http://127.0.0.1:" + nginxPort + "/" + id + "/live.m3u8";
        } else {
          url = http.url("/live/" + id);
        }
        yaml.append("  - stream-id: ").append(id).append("\n    url: ").append(url).append('\n');
      }
      Path sources = work.resolve("sources.yaml");
      Files.writeString(sources, "sources: []\n");
      Path log = work.resolve("ingest.log");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process ingest = new ProcessBuilder(java, "-Xmx" + heap, "-XX:+UseParallelGC",
          "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir", ""),
          "-cp", System.getProperty("java.class.path"), Main.class.getName(),
          "--sources", sources.toString(), "--topic", topic, "--bootstrap", broker.bootstrapServers(),
          "--status-interval", "30s", "--blob-dir", work.resolve("blobs").toString())
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      TimeUnit.SECONDS.sleep(15);
      long idleRss = rss(ingest.pid());
      long idleCpu = cpuTicks(ingest.pid());
      TimeUnit.SECONDS.sleep(5);
      double idleCpuPerSecond = (cpuTicks(ingest.pid()) - idleCpu) / (double) CLK_TCK / 5;

      Files.writeString(sources, yaml.toString()); // the watch starts the streams
      TimeUnit.SECONDS.sleep(15); // every stream connected and past its first chunks
      long cpu0 = cpuTicks(ingest.pid());
      long t0 = System.nanoTime();
      long peakRss = 0;
      List<Long> rssSamples = new ArrayList<>();
      while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(seconds)) {
        TimeUnit.SECONDS.sleep(5);
        long r = rss(ingest.pid());
        rssSamples.add(r);
        peakRss = Math.max(peakRss, r);
      }
      double wall = (System.nanoTime() - t0) / 1e9;
      double cpuSeconds = (cpuTicks(ingest.pid()) - cpu0) / (double) CLK_TCK;
      long endRss = rss(ingest.pid());
      ingest.destroy(); // SIGTERM: every stream flushes its last chunk
      boolean exited = ingest.waitFor(60, TimeUnit.SECONDS);

      double cpuPerStream = cpuSeconds / wall / streams;
      System.out.printf(Locale.ROOT, "%d live sources (%d HLS via nginx, %d HTTP MPEG-TS), remux only, ingest -Xmx%s, %.0f s"
          + " measured; ingest exited on SIGTERM: %s; load average at the end: %s%n", streams, hls, streams - hls, heap, wall, exited,
          Files.readString(Path.of("/proc/loadavg")).trim());
      System.out.printf(Locale.ROOT, "CPU: idle %.3f cores; with %d streams %.3f cores = %.4f cores per stream"
          + " -> %.0f streams per core%n", idleCpuPerSecond, streams, cpuSeconds / wall, cpuPerStream, 1 / cpuPerStream);
      System.out.printf(Locale.ROOT, "RSS: idle %.0f MB; with %d streams peak %.0f MB, end %.0f MB -> %.1f MB per stream"
          + " ((peak - idle) / streams); samples %s MB%n", idleRss / 1e6, streams, peakRss / 1e6, endRss / 1e6,
          (peakRss - idleRss) / 1e6 / streams, rssSamples.stream().map(r -> Long.toString(r / 1_000_000)).toList());

      Map<String, Long> reportedNextSeq = finalSeqs(Files.readString(log));
      Map<String, List<Chunk>> byStream = readBack(broker.bootstrapServers(), topic);
      long records = byStream.values().stream().mapToLong(List::size).sum();
      int complete = 0;
      double minMedia = Double.MAX_VALUE;
      double maxMedia = 0;
      long discontinuities = 0;
      List<String> problems = new ArrayList<>();
      for (int k = 0; k < streams; k++) {
        String id = "s" + k;
        List<Chunk> chunks = byStream.getOrDefault(id, List.of());
        String problem = check(chunks, reportedNextSeq.get(id));
        if (problem == null) {
          complete++;
        } else {
          problems.add(id + ": " + problem);
        }
        if (!chunks.isEmpty()) {
          Chunk last = chunks.get(chunks.size() - 1);
          double media = (last.endUs() - chunks.get(0).startUs()) / 1e6;
          minMedia = Math.min(minMedia, media);
          maxMedia = Math.max(maxMedia, media);
          discontinuities += chunks.stream().filter(Chunk::discontinuity).count();
        }
      }
      System.out.printf(Locale.ROOT, "Kafka: %d chunks; streams complete (seq 0..n-1 in order, no gaps, count = ingest's"
          + " next seq): %d/%d; media per stream %.1f .. %.1f s; discontinuities (reconnects) %d%n",
          records, complete, streams, minMedia, maxMedia, discontinuities);
      problems.stream().limit(10).forEach(p -> System.out.println("  " + p));
    } finally {
      hlsWriters.forEach(Process::destroy);
      if (nginx != null) {
        nginx.destroy();
      }
    }
  }

  /** What the check needs of a record (the payloads of 50 streams for 2 minutes do not fit a small heap). */
  private record Chunk(long seq, long startUs, long endUs, boolean discontinuity) {}

  /** Every record of {@code topic}, per stream in Kafka order, payloads dropped as they are read. */
  private static Map<String, List<Chunk>> readBack(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 << 20));
    Map<String, List<Chunk>> byStream = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          MediaChunk c = CODEC.decode(r.value());
          byStream.computeIfAbsent(c.getStreamId(), s -> new ArrayList<>())
              .add(new Chunk(c.getSeq(), c.getStartUs(), c.getStartUs() + c.getDurationUs(), c.getDiscontinuity()));
        }
      }
    }
    return byStream;
  }

  /** null when the stream is complete, else what is wrong. */
  private static String check(List<Chunk> chunks, Long reportedNextSeq) {
    if (chunks.isEmpty()) {
      return "no chunks";
    }
    for (int i = 0; i < chunks.size(); i++) {
      if (chunks.get(i).seq() != i) {
        return "seq " + chunks.get(i).seq() + " at position " + i;
      }
      if (i > 0 && !chunks.get(i).discontinuity()) {
        long gap = chunks.get(i).startUs() - chunks.get(i - 1).endUs();
        if (Math.abs(gap) > 40_000) {
          return "chunk " + i + " starts " + gap + " us off the previous end";
        }
      }
    }
    if (reportedNextSeq == null || reportedNextSeq != chunks.size()) {
      return "ingest reported next seq " + reportedNextSeq + ", Kafka has " + chunks.size();
    }
    return null;
  }

  /** The stream's sequence numbers from the status lines ingest prints when it stops. */
  private static Map<String, Long> finalSeqs(String output) {
    Map<String, Long> seqs = new TreeMap<>();
    Matcher m = Pattern.compile("(?m)^\\S+ (s\\d+) +stopped +seq (\\d+)").matcher(output);
    while (m.find()) {
      seqs.put(m.group(1), Long.parseLong(m.group(2)));
    }
    return seqs;
  }

  private static Process startNginx(Path work, Path root, int port) throws IOException {
    Path prefix = Files.createDirectories(work.resolve("nginx"));
    Files.createDirectories(root);
    Path conf = prefix.resolve("nginx.conf");
    Files.writeString(conf, """
        daemon off;
        master_process off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log;
        events { worker_connections 1024; }
        http {
          access_log off;
          client_body_temp_path %1$s/tmp;
          types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
          server {
            listen 127.0.0.1:%2$d;
            root %3$s;
            location / { add_header Cache-Control no-cache; }
          }
        }
        """.formatted(prefix.toAbsolutePath(), port, root.toAbsolutePath()));
    return new ProcessBuilder("nginx", "-p", prefix.toAbsolutePath().toString(), "-c", conf.toAbsolutePath().toString())
        .redirectErrorStream(true).redirectOutput(prefix.resolve("out.log").toFile()).start();
  }

  private static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return 0;
  }

  /** utime + stime of a process, in clock ticks. */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed");
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The ingest process: {@code pestream ingest} with its own exit code. */
  public static final class Main {
    public static void main(String[] args) {
      System.exit(new CommandLine(new IngestCommand()).execute(args));
    }
  }
}
