package dev.pestream.tests.bench;

import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import dev.pestream.models.Models;
import dev.pestream.models.metrics.BatchListener;
import dev.pestream.operators.encode.FrameEncoderOptions;
import dev.pestream.models.bench.BenchBundle;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.ClipScript;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * End-to-end benchmark of the perception job (not a test; prints ratios measured in one run):
 *
 * <ol>
 *   <li>Two plain single-process loops, before and after the jobs: decode + every graph on the raw
 *       chunks (the job's work without Kafka and Flink, same threads), and every graph on chunks
 *       decoded beforehand.
 *   <li>The job (embedded broker, MiniCluster at parallelism 2, checkpoints, exactly-once sinks)
 *       once per {@code --in-flight} value (encode.max-in-flight; 0 = not pipelined): chunks per
 *       second until every embedding is committed, ratios to both loops, CPU busy fraction, CPU per
 *       chunk by thread group (the profile of the CPU outside decode and graphs) and the batch sizes
 *       the frame encoder saw.
 *   <li>With the last job: alert latency as users feel it, per chunk duration: streams ingested in
 *       real time, sound onsets uniformly random within chunks, onset at the source to alert read
 *       with read_committed (p50 / p99), and the CPU per second of media.
 * </ol>
 *
 * <pre>
 * scripts/bench.sh tests dev.pestream.tests.bench.PerceptionBenchmark --bundle bench --streams 8 --seconds 30 \
 *     --latency-streams 8 --latency-seconds 16 --in-flight 0,4 --latency-chunks 1,0.5,0.25
 * </pre>
 */
public final class PerceptionBenchmark {
  private static final long SECOND = 1_000_000;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    String bundleKind = opts.getOrDefault("bundle", "contract");
    int streams = Integer.parseInt(opts.getOrDefault("streams", "8"));
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "30"));
    int latencyStreams = Integer.parseInt(opts.getOrDefault("latency-streams", "8"));
    int latencySeconds = Integer.parseInt(opts.getOrDefault("latency-seconds", "30"));
    // encode.max-in-flight of each job run, side by side: 0 = not pipelined (before), 4 = the default
    List<Integer> inFlights = Arrays.stream(opts.getOrDefault("in-flight", "0,4").split(","))
        .map(String::trim).map(Integer::parseInt).toList();
    List<Double> chunkDurations = Arrays.stream(opts.getOrDefault("latency-chunks", "1,0.5,0.25").split(","))
        .map(String::trim).map(Double::parseDouble).toList();
    // outputs become visible at checkpoints: a shorter interval shortens the wait for the last ones
    // but commits Kafka transactions on every sink that much more often
    long checkpointMs = Long.parseLong(opts.getOrDefault("checkpoint-ms", "1000"));
    Path scratch = Files.createTempDirectory("pestream-bench-");
    Path bundle = bundleKind.equals("bench") ? BenchBundle.ensure() : ContractBundle.materialize(scratch.resolve("bundle"));
    System.out.printf("bundle: %s (%s), %d streams x %d s of 1 s chunks, checkpoints every %d ms, %d cores,"
            + " job runs with encode.max-in-flight %s%n", bundleKind, bundle, streams, seconds, checkpointMs,
        Runtime.getRuntime().availableProcessors(), inFlights);

    // warm-up: as many streams as measured, so the JIT has compiled the job's paths before timing
    int warmupSeconds = Integer.parseInt(opts.getOrDefault("warmup-seconds", "12"));
    List<List<MediaChunk>> warmup = chunks("warm", streams, warmupSeconds, scratch);
    List<List<MediaChunk>> measured = chunks("cam", streams, seconds, scratch);

    int chunkCount = streams * seconds;
    long cpu = processCpuNanos();
    List<List<DecodedChunk>> decoded = decode(measured);
    double decodeCpuMs = (processCpuNanos() - cpu) / 1e6 / chunkCount;
    RawRun graphsBefore = rawLoop(decoded, bundle);
    RawRun fullBefore = rawDecodeLoop(measured, bundle);
    List<JobRun> runs = new ArrayList<>();
    List<String> latencyLines = new ArrayList<>();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
      for (int i = 0; i < inFlights.size(); i++) {
        boolean last = i == inFlights.size() - 1;
        runs.add(runJob(kafka, bundleKind, bundle, opts, inFlights.get(i), checkpointMs, warmup, measured,
            last ? latencyStreams : 0, latencySeconds, chunkDurations, scratch, latencyLines));
      }
    }
    // the plain loops run before and after the jobs (once jobs and broker are gone): the machine's load drifts
    RawRun graphsAfter = rawLoop(decoded, bundle);
    RawRun fullAfter = rawDecodeLoop(measured, bundle);
    double graphs = (graphsBefore.chunksPerSecond() + graphsAfter.chunksPerSecond()) / 2;
    double full = (fullBefore.chunksPerSecond() + fullAfter.chunksPerSecond()) / 2;
    double graphsCpuMs = (graphsBefore.cpuMsPerChunk() + graphsAfter.cpuMsPerChunk()) / 2;
    double cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(Locale.ROOT, "plain loops (2 threads, no Kafka, no Flink): decode + every graph %.2f chunks/s"
            + " (%.2f before, %.2f after the jobs), graphs only on pre-decoded chunks %.2f chunks/s (%.2f / %.2f);"
            + " CPU ms per chunk: decode %.1f, graphs %.1f%n", full, fullBefore.chunksPerSecond(),
        fullAfter.chunksPerSecond(), graphs, graphsBefore.chunksPerSecond(), graphsAfter.chunksPerSecond(),
        decodeCpuMs, graphsCpuMs);
    for (JobRun r : runs) {
      System.out.printf(Locale.ROOT, "job, encode.max-in-flight %d: %.2f chunks/s; ratio vs decode + graphs loop %.3f,"
              + " vs graphs-only loop %.3f; CPU busy %.0f %%; CPU ms per chunk %.1f, of which outside decode and"
              + " graphs %.1f; frame_encoder batches mean %.2f, p99 %d (%d batches)%n", r.inFlight(),
          r.chunksPerSecond(), r.chunksPerSecond() / full, r.chunksPerSecond() / graphs,
          100 * r.cpuMsPerChunk() * r.chunksPerSecond() / 1000 / cores, r.cpuMsPerChunk(),
          r.cpuMsPerChunk() - decodeCpuMs - graphsCpuMs, r.batchMean(), r.batchP99(), r.batches());
      System.out.println("  CPU ms per chunk by thread: " + r.threadCpuMsPerChunk());
    }
    latencyLines.forEach(System.out::println);
  }

  /** One job run: throughput over the measured chunks, then (if asked) the alert latency phases. */
  private record JobRun(int inFlight, double chunksPerSecond, double cpuMsPerChunk, Map<String, String> threadCpuMsPerChunk,
      double batchMean, int batchP99, int batches) {}

  private static JobRun runJob(KafkaTestClient kafka, String bundleKind, Path bundle, Map<String, String> opts,
      int inFlight, long checkpointMs, List<List<MediaChunk>> warmup, List<List<MediaChunk>> measured,
      int latencyStreams, int latencySeconds, List<Double> chunkDurations, Path scratch, List<String> latencyLines)
      throws Exception {
    JobConfig config = config(kafka, bundleKind, opts, inFlight);
    PerceptionSettings settings = PerceptionSettings.from(config, bundle);
    // checkpoints to files, as in production: the per-frame feature cache of 16 streams passes the
    // 5 MB limit of checkpoints held in the JobManager's memory
    Configuration flink = new Configuration();
    flink.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    flink.set(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTS_DIRECTORY,
        Files.createTempDirectory("pestream-bench-checkpoints-").toUri().toString());
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, flink);
    env.enableCheckpointing(checkpointMs);
    new PerceptionJob(settings).build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    JobClient job = env.executeAsync("perception-benchmark");
    // the job's frame encoder session is JVM-wide: joining it lets the benchmark see its batches
    try (Models frameEncoder = settings.models().open(List.of("frame_encoder"), List.of())) {
      List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
      BatchListener listener = event -> batchSizes.add(event.batchSize());
      String embeddingsTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_EMBEDDINGS);
      int warmWindows = expectedEmbeddings(warmup.size(), warmup.get(0).size());
      send(kafka, config, warmup);
      kafka.readCommitted(embeddingsTopic, warmWindows, Duration.ZERO, Duration.ofMinutes(5));

      int chunkCount = measured.size() * measured.get(0).size();
      frameEncoder.frameEncoder().session().addListener(listener);
      long start = System.nanoTime();
      long jobCpu = processCpuNanos();
      long brokerCpu = childProcessesCpuNanos();
      Map<Long, ThreadCpu> threadsBefore = threadCpu();
      send(kafka, config, measured);
      int expected = warmWindows + expectedEmbeddings(measured.size(), measured.get(0).size());
      int got = kafka.readCommitted(embeddingsTopic, expected, Duration.ZERO, Duration.ofMinutes(30)).size();
      double jobSeconds = (System.nanoTime() - start) / 1e9;
      long cpuNanos = processCpuNanos() - jobCpu;
      Map<String, String> byThread = cpuByThreadGroup(threadsBefore, threadCpu(), cpuNanos, chunkCount);
      // the broker runs in a child JVM on the same cores: its CPU is not in the job's
      byThread.put("(not in the job's JVM) Kafka broker", String.format(Locale.ROOT, "%.1f",
          (childProcessesCpuNanos() - brokerCpu) / 1e6 / chunkCount));
      frameEncoder.frameEncoder().session().removeListener(listener);
      if (got < expected) {
        throw new IllegalStateException("only " + got + " of " + expected + " embeddings came out");
      }
      // the spans and alerts task runs beside the embeddings: the job is done when it is quiet too
      // (and a latency phase must not start behind its backlog)
      String spansTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_SPANS);
      kafka.readCommitted(spansTopic, 1, Duration.ofSeconds(5), Duration.ofMinutes(10));
      List<Integer> sizes = new ArrayList<>(batchSizes);
      sizes.sort(null);
      double mean = sizes.stream().mapToInt(Integer::intValue).average().orElse(0);
      int p99 = sizes.isEmpty() ? 0 : sizes.get(Math.min(sizes.size() - 1, (int) Math.ceil(0.99 * sizes.size()) - 1));
      JobRun run = new JobRun(inFlight, chunkCount / jobSeconds, cpuNanos / 1e6 / chunkCount, byThread, mean, p99,
          sizes.size());
      if (latencyStreams > 0) {
        for (double chunkSec : chunkDurations) {
          latencyLines.add(alertLatency(kafka, config, inFlight, latencyStreams, latencySeconds, chunkSec, scratch));
        }
      }
      return run;
    } finally {
      job.cancel().get();
    }
  }

  /** CPU time of this JVM's child processes (the embedded Kafka broker). */
  private static long childProcessesCpuNanos() {
    return ProcessHandle.current().descendants()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
  }

  /** CPU time of one live thread, by name. */
  private record ThreadCpu(String name, long nanos) {}

  private static Map<Long, ThreadCpu> threadCpu() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<Long, ThreadCpu> out = new HashMap<>();
    for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info != null) {
        long nanos = mx.getThreadCpuTime(info.getThreadId());
        if (nanos >= 0) {
          out.put(info.getThreadId(), new ThreadCpu(info.getThreadName(), nanos));
        }
      }
    }
    return out;
  }

  /**
   * Where the process's CPU went between two thread snapshots, per chunk, by thread group. What no
   * live thread accounts for is GC, the JIT compilers and threads that ended meanwhile.
   */
  private static Map<String, String> cpuByThreadGroup(Map<Long, ThreadCpu> before, Map<Long, ThreadCpu> after,
      long processNanos, int chunks) {
    Map<String, Long> groups = new java.util.TreeMap<>();
    long attributed = 0;
    for (Map.Entry<Long, ThreadCpu> e : after.entrySet()) {
      ThreadCpu old = before.get(e.getKey());
      long used = e.getValue().nanos() - (old == null ? 0 : old.nanos());
      groups.merge(threadGroup(e.getValue().name()), used, Long::sum);
      attributed += used;
    }
    groups.put("GC, JIT, ended threads", processNanos - attributed);
    Map<String, String> perChunk = new java.util.LinkedHashMap<>();
    groups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> perChunk.put(e.getKey(), String.format(Locale.ROOT, "%.1f", e.getValue() / 1e6 / chunks)));
    return perChunk;
  }

  private static String threadGroup(String name) {
    if (name.startsWith("pestream-batcher-")) {
      return "graphs (batcher threads)";
    } else if (name.contains("decode media")) {
      return "task: sequence, decode, frame encoders, windows, window encoders";
    } else if (name.contains("PE-A-Frame spans")) {
      return "task: spans and alerts (incl. frame_level_audio wait)";
    } else if (name.contains("media chunks")) {
      return "task: Kafka source + parse chunks";
    } else if (name.startsWith("kafka-producer-network-thread")) {
      return "Kafka producer I/O";
    } else if (name.contains("Writer") || name.contains("Committer") || name.contains("tags")) {
      return "other tasks (tags, sinks, control topics)";
    } else if (name.startsWith("AsyncOperations") || name.contains("serialization-io") || name.contains("Checkpoint")) {
      return "checkpoints (state snapshots)";
    } else if (name.startsWith("Source") || name.contains("parse")) {
      return "other tasks (tags, sinks, control topics)";
    }
    return "other JVM threads (Flink runtime, test client)";
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The measured chunks decoded once, outside any timing: the plain loop's input. */
  private static List<List<DecodedChunk>> decode(List<List<MediaChunk>> streams) throws Exception {
    List<List<DecodedChunk>> decoded = new ArrayList<>();
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(),
        VideoPreprocessing.pe(224))) {
      for (List<MediaChunk> stream : streams) {
        List<DecodedChunk> out = new ArrayList<>();
        for (MediaChunk c : stream) {
          out.add(decoder.decode(bytes((java.nio.ByteBuffer) c.getPayload()), c.getStartUs(), c.getDurationUs(),
              c.getContainer()));
        }
        decoded.add(out);
      }
    }
    return decoded;
  }

  /** Throughput of the plain loop and the CPU time it spent per chunk. */
  private record RawRun(double chunksPerSecond, double cpuMsPerChunk) {}

  /** A plain loop over the graphs on pre-decoded chunks: one thread per core, streams split between them. */
  private static RawRun rawLoop(List<List<DecodedChunk>> decoded, Path bundle) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RawGraphLoop loop = new RawGraphLoop(bundle, 1); RawGraphLoop loop2 = new RawGraphLoop(bundle, 1)) {
      loop.runStream(decoded.get(0)); // warm-up
      long start = System.nanoTime();
      long cpu = processCpuNanos();
      List<Future<Double>> done = new ArrayList<>();
      for (int i = 0; i < decoded.size(); i++) {
        RawGraphLoop l = i % 2 == 0 ? loop : loop2;
        List<DecodedChunk> stream = decoded.get(i);
        done.add(pool.submit(() -> {
          synchronized (l) {
            return l.runStream(stream);
          }
        }));
      }
      for (Future<Double> f : done) {
        f.get();
      }
      double secondsTaken = (System.nanoTime() - start) / 1e9;
      int chunks = decoded.stream().mapToInt(List::size).sum();
      return new RawRun(chunks / secondsTaken, (processCpuNanos() - cpu) / 1e6 / chunks);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The plain loop doing the job's whole work without Kafka and Flink: each thread decodes its
   * streams' chunks (its own decoder, as a subtask has) and runs every graph on them.
   */
  private static RawRun rawDecodeLoop(List<List<MediaChunk>> streams, Path bundle) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RawGraphLoop loop = new RawGraphLoop(bundle, 1); RawGraphLoop loop2 = new RawGraphLoop(bundle, 1);
         ChunkDecoder decoder = newDecoder(); ChunkDecoder decoder2 = newDecoder()) {
      loop.runStream(decodeAll(streams.get(0), decoder)); // warm-up
      long start = System.nanoTime();
      long cpu = processCpuNanos();
      List<Future<Double>> done = new ArrayList<>();
      for (int i = 0; i < streams.size(); i++) {
        RawGraphLoop l = i % 2 == 0 ? loop : loop2;
        ChunkDecoder d = i % 2 == 0 ? decoder : decoder2;
        List<MediaChunk> stream = streams.get(i);
        done.add(pool.submit(() -> {
          synchronized (l) {
            return l.runStream(decodeAll(stream, d));
          }
        }));
      }
      for (Future<Double> f : done) {
        f.get();
      }
      double secondsTaken = (System.nanoTime() - start) / 1e9;
      int chunks = streams.stream().mapToInt(List::size).sum();
      return new RawRun(chunks / secondsTaken, (processCpuNanos() - cpu) / 1e6 / chunks);
    } finally {
      pool.shutdownNow();
    }
  }

  private static ChunkDecoder newDecoder() {
    return new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(224));
  }

  private static List<DecodedChunk> decodeAll(List<MediaChunk> stream, ChunkDecoder decoder) throws Exception {
    List<DecodedChunk> out = new ArrayList<>();
    for (MediaChunk c : stream) {
      out.add(decoder.decode(bytes((java.nio.ByteBuffer) c.getPayload()), c.getStartUs(), c.getDurationUs(),
          c.getContainer()));
    }
    return out;
  }

  /**
   * Alert latency as users feel it: {@code streams} streams of {@code chunkSec} chunks ingested in
   * real time (chunk n of every stream sent when its media is complete, at t0 + (n+1)·chunkSec), a
   * 1 s tone every 4 s with its onset uniformly random within the chunk; from the onset at the
   * source to the alert read from Kafka with read_committed. Also the CPU per second of media.
   */
  private static String alertLatency(KafkaTestClient kafka, JobConfig config, int inFlight, int streams, int seconds,
      double chunkSec, Path scratch) throws Exception {
    String rules = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_ALERT_RULES);
    kafka.sendRaw(rules, List.<byte[][]>of(new byte[][] {KafkaTestClient.utf8("tone"),
        RecordCodec.of(AlertRule.class).encode(AlertRule.newBuilder().setRuleId("tone").setPrompt("beep")
            .setThreshold(0.5f).setUpdatedAtMs(Instant.now()).build())}));
    Thread.sleep(2000);
    java.util.Random random = new java.util.Random(42);
    String prefix = "live-" + String.valueOf(chunkSec).replace('.', '_') + "-";
    Map<String, List<Double>> onsets = new HashMap<>();
    List<List<MediaChunk>> byStream = new ArrayList<>();
    int expected = 0;
    for (int s = 0; s < streams; s++) {
      ClipScript script = new ClipScript(prefix + s, seconds, s % 4);
      List<Double> starts = new ArrayList<>();
      for (int k = 0; 2 + 4 * k + 2 < seconds; k++) {
        double onset = 2 + 4 * k + random.nextDouble(); // uniform within a 1, 0.5 or 0.25 s chunk alike
        script.tone(onset, onset + 1);
        starts.add(onset);
      }
      expected += starts.size();
      onsets.put(script.streamId(), starts);
      List<MediaChunk> chunks = new ArrayList<>();
      for (int seq = 0; seq * chunkSec < seconds - 1e-9; seq++) {
        chunks.add(script.chunk(seq, chunkSec, scratch));
      }
      byStream.add(chunks);
    }
    String alertsTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_ALERTS);
    Map<String, Long> readAtMs = new java.util.concurrent.ConcurrentHashMap<>();
    List<Alert> alerts = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread reader = new Thread(() -> readAlerts(kafka, alertsTopic, prefix, reading, readAtMs, alerts), "alert-reader");
    reader.start();
    String chunksTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_CHUNKS);
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    long cpu = processCpuNanos();
    long t0;
    try (var producer = kafka.producer()) {
      t0 = System.currentTimeMillis() + 500;
      int count = byStream.get(0).size();
      for (int seq = 0; seq < count; seq++) {
        long due = t0 + Math.round((seq + 1) * chunkSec * 1000); // a chunk is complete when its media is
        Thread.sleep(Math.max(0, due - System.currentTimeMillis()));
        for (List<MediaChunk> stream : byStream) {
          MediaChunk c = MediaChunk.newBuilder(stream.get(seq)).setIngestTimeMs(Instant.now()).build();
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(chunksTopic,
              KafkaTestClient.utf8(c.getStreamId()), codec.encode(c)));
        }
        producer.flush();
      }
    }
    double cpuMsPerMediaSecond = (processCpuNanos() - cpu) / 1e6 / (streams * (double) seconds);
    long deadline = System.currentTimeMillis() + 15_000;
    while (alerts.size() < expected && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    reading.set(false);
    reader.join();
    List<Long> fromOnset = new ArrayList<>();
    List<Long> fromIngest = new ArrayList<>();
    for (Alert a : new ArrayList<>(alerts)) {
      double spanStart = a.getSpanStartUs() / 1e6;
      double onset = onsets.get(a.getStreamId()).stream().min(java.util.Comparator.comparingDouble(
          o -> Math.abs(o - spanStart))).orElseThrow();
      long read = readAtMs.get(a.getAlertId());
      fromOnset.add(read - (t0 + Math.round(onset * 1000)));
      fromIngest.add(read - a.getChunkIngestTimeMs().toEpochMilli());
    }
    fromOnset.sort(null);
    fromIngest.sort(null);
    return String.format(Locale.ROOT, "alert latency, encode.max-in-flight %d, %d streams of %.2f s chunks in real"
            + " time, %d alerts (expected %d): onset at the source -> alert read (read_committed) p50 %d ms, p99 %d"
            + " ms; chunk ingest -> alert read p50 %d ms, p99 %d ms; CPU %.1f ms per second of media (%.0f %% of"
            + " the machine)", inFlight, streams, chunkSec, fromOnset.size(), expected, pct(fromOnset, 50),
        pct(fromOnset, 99), pct(fromIngest, 50), pct(fromIngest, 99), cpuMsPerMediaSecond,
        cpuMsPerMediaSecond * streams / 10.0 / Runtime.getRuntime().availableProcessors());
  }

  /** Reads the alerts topic (read_committed) until told to stop, noting when each alert became readable. */
  private static void readAlerts(KafkaTestClient kafka, String topic, String streamPrefix,
      java.util.concurrent.atomic.AtomicBoolean reading, Map<String, Long> readAtMs, List<Alert> alerts) {
    java.util.Properties props = new java.util.Properties();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("group.id", "latency-" + java.util.UUID.randomUUID());
    props.put("isolation.level", "read_committed");
    props.put("auto.offset.reset", "earliest");
    props.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    RecordCodec<Alert> codec = RecordCodec.of(Alert.class);
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(props)) {
      consumer.subscribe(List.of(topic));
      while (reading.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(10))) {
          long now = System.currentTimeMillis();
          Alert a;
          try {
            a = codec.decode(r.value());
          } catch (dev.pestream.schemas.codec.RecordDecodingException e) {
            throw new IllegalStateException("unreadable alert", e);
          }
          if (a.getStreamId().startsWith(streamPrefix) && readAtMs.putIfAbsent(a.getAlertId(), now) == null) {
            alerts.add(a);
          }
        }
      }
    }
  }

  private static long pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return -1;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  private static int expectedEmbeddings(int streams, int seconds) {
    return streams * ((seconds - 10) / 2 + 1) * 3;
  }

  private static List<List<MediaChunk>> chunks(String prefix, int streams, int seconds, Path scratch) throws Exception {
    List<List<MediaChunk>> out = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      ClipScript script = new ClipScript(prefix + "-" + s, seconds, s % 4).tone(3.3, 5.9).colourFrom(seconds / 2.0, (s + 1) % 4);
      List<MediaChunk> chunks = new ArrayList<>();
      for (int seq = 0; seq < seconds; seq++) {
        chunks.add(script.chunk(seq, scratch));
      }
      out.add(chunks);
    }
    return out;
  }

  private static void send(KafkaTestClient kafka, JobConfig config, List<List<MediaChunk>> streams) {
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    List<byte[][]> records = new ArrayList<>();
    int longest = streams.stream().mapToInt(List::size).max().orElse(0);
    for (int seq = 0; seq < longest; seq++) {
      for (List<MediaChunk> stream : streams) {
        if (seq < stream.size()) {
          MediaChunk c = stream.get(seq);
          records.add(new byte[][] {KafkaTestClient.utf8(c.getStreamId()), codec.encode(c)});
        }
      }
    }
    kafka.sendRaw(config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_CHUNKS), records);
  }

  private static JobConfig config(KafkaTestClient kafka, String bundleKind, Map<String, String> opts, int inFlight) {
    Map<String, String> settings = new HashMap<>();
    for (String t : List.of("chunks", "embeddings", "spans", "alerts", "tags", "captions", "dead-letters")) {
      settings.put("topics." + t, kafka.newTopic(t, 2));
    }
    settings.put("topics.alert-rules", kafka.newCompactedTopic("rules"));
    settings.put("topics.tag-vocabularies", kafka.newCompactedTopic("vocabularies"));
    settings.put("kafka.bootstrap-servers", kafka.bootstrapServers());
    settings.put("spans.prompts", "beep");
    settings.put("window.idle-timeout", "0 s");
    settings.put("models.providers", "cpu");
    // default: as many inference threads as the plain loop has (one per core)
    settings.put("models.intra-op-threads", opts.getOrDefault("intra-op-threads", "1"));
    settings.put("models.batch.workers", opts.getOrDefault("batch-workers", "2"));
    settings.put(FrameEncoderOptions.MAX_IN_FLIGHT.key(), Integer.toString(inFlight));
    return JobConfig.of(settings);
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> opts = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    return opts;
  }
}
