package dev.pestream.tests.bench;

import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
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
 *   <li>Throughput: chunks per second through the whole job (Kafka in, decode, encoders, windows,
 *       spans, exactly-once Kafka out, measured until the outputs are committed) against the same
 *       graphs run in a plain {@code OrtSession.run} loop on the same chunks decoded beforehand.
 *   <li>Alert latency: 8 streams of 1 s chunks ingested in real time; time from a chunk's ingest
 *       to its alert (p50 / p99).
 * </ol>
 *
 * <pre>
 * scripts/bench.sh tests dev.pestream.tests.bench.PerceptionBenchmark --bundle bench --streams 4 --seconds 30
 * </pre>
 */
public final class PerceptionBenchmark {
  private static final long SECOND = 1_000_000;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    String bundleKind = opts.getOrDefault("bundle", "contract");
    int streams = Integer.parseInt(opts.getOrDefault("streams", "4"));
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "30"));
    int latencyStreams = Integer.parseInt(opts.getOrDefault("latency-streams", "8"));
    int latencySeconds = Integer.parseInt(opts.getOrDefault("latency-seconds", "30"));
    // outputs become visible at checkpoints: a shorter interval shortens the wait for the last ones
    // but commits Kafka transactions on every sink that much more often
    long checkpointMs = Long.parseLong(opts.getOrDefault("checkpoint-ms", "1000"));
    Path scratch = Files.createTempDirectory("pestream-bench-");
    Path bundle = bundleKind.equals("bench") ? BenchBundle.ensure() : ContractBundle.materialize(scratch.resolve("bundle"));
    System.out.printf("bundle: %s (%s), %d streams x %d s of 1 s chunks, checkpoints every %d ms, %d cores%n", bundleKind,
        bundle, streams, seconds, checkpointMs, Runtime.getRuntime().availableProcessors());

    List<List<MediaChunk>> warmup = chunks("warm", 1, 12, scratch);
    List<List<MediaChunk>> measured = chunks("cam", streams, seconds, scratch);

    int chunkCount = streams * seconds;
    long cpu = processCpuNanos();
    List<List<DecodedChunk>> decoded = decode(measured);
    double decodeCpuMs = (processCpuNanos() - cpu) / 1e6 / chunkCount;
    RawRun before = rawLoop(decoded, bundle);
    double rawBefore = before.chunksPerSecond();
    double rawCpuMs = before.cpuMsPerChunk();
    double jobChunksPerSecond;
    double jobCpuMs;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
      JobConfig config = config(kafka, bundleKind, opts);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, new Configuration());
      env.enableCheckpointing(checkpointMs);
      new PerceptionJob(PerceptionSettings.from(config, bundle))
          .build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
      JobClient job = env.executeAsync("perception-benchmark");
      try {
        String embeddingsTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_EMBEDDINGS);
        int warmWindows = expectedEmbeddings(1, 12);
        send(kafka, config, warmup);
        kafka.readCommitted(embeddingsTopic, warmWindows, Duration.ZERO, Duration.ofMinutes(5));

        long start = System.nanoTime();
        long jobCpu = processCpuNanos();
        send(kafka, config, measured);
        int expected = warmWindows + expectedEmbeddings(streams, seconds);
        int got = kafka.readCommitted(embeddingsTopic, expected, Duration.ZERO, Duration.ofMinutes(30)).size();
        double jobSeconds = (System.nanoTime() - start) / 1e9;
        jobCpuMs = (processCpuNanos() - jobCpu) / 1e6 / chunkCount;
        if (got < expected) {
          throw new IllegalStateException("only " + got + " of " + expected + " embeddings came out");
        }
        jobChunksPerSecond = chunkCount / jobSeconds;

        alertLatency(kafka, config, latencyStreams, latencySeconds, scratch);
      } finally {
        job.cancel().get();
      }
    }
    // the plain loop runs before and after the job (once job and broker are gone): the machine's load drifts
    double rawAfter = rawLoop(decoded, bundle).chunksPerSecond();
    double raw = (rawBefore + rawAfter) / 2;
    System.out.printf(Locale.ROOT, "throughput: job %.2f chunks/s, plain graph loop %.2f chunks/s (%.2f before,"
        + " %.2f after the job), ratio %.3f%n", jobChunksPerSecond, raw, rawBefore, rawAfter, jobChunksPerSecond / raw);
    // Where the job's extra time goes: on a CPU-bound machine its ceiling is graphs / (graphs + decode).
    double ceiling = rawCpuMs / (rawCpuMs + decodeCpuMs);
    System.out.printf(Locale.ROOT, "CPU time per chunk (this JVM; the broker's own JVM not counted): decode %.1f ms,"
            + " graphs %.1f ms (plain loop), job %.1f ms in all, so %.1f ms of Kafka I/O, serialization,"
            + " checkpoints and Flink; ratio ceiling with decode on the same cores %.3f, job / that ceiling %.3f%n",
        decodeCpuMs, rawCpuMs, jobCpuMs, jobCpuMs - decodeCpuMs - rawCpuMs, ceiling, jobChunksPerSecond / raw / ceiling);
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

  /** Real-time ingestion of {@code streams} streams with a tone every 6 s; chunk ingest to alert. */
  private static void alertLatency(KafkaTestClient kafka, JobConfig config, int streams, int seconds, Path scratch)
      throws Exception {
    String rules = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_ALERT_RULES);
    kafka.sendRaw(rules, List.<byte[][]>of(new byte[][] {KafkaTestClient.utf8("tone"),
        RecordCodec.of(AlertRule.class).encode(AlertRule.newBuilder().setRuleId("tone").setPrompt("beep")
            .setThreshold(0.5f).setUpdatedAtMs(Instant.now()).build())}));
    Thread.sleep(2000);
    List<ClipScript> scripts = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      ClipScript script = new ClipScript("live-" + s, seconds, s % 4);
      for (double t = 1.5 + s * 0.3; t + 1 < seconds; t += 6) {
        script.tone(t, t + 1);
      }
      scripts.add(script);
    }
    List<List<MediaChunk>> byStream = new ArrayList<>();
    for (ClipScript script : scripts) {
      List<MediaChunk> chunks = new ArrayList<>();
      for (int seq = 0; seq < script.chunkCount(); seq++) {
        chunks.add(script.chunk(seq, scratch));
      }
      byStream.add(chunks);
    }
    String chunksTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_CHUNKS);
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    try (var producer = kafka.producer()) {
      long t0 = System.currentTimeMillis();
      for (int seq = 0; seq < seconds; seq++) {
        long due = t0 + (seq + 1) * 1000L; // a 1 s chunk is complete one second after it starts
        Thread.sleep(Math.max(0, due - System.currentTimeMillis()));
        for (List<MediaChunk> stream : byStream) {
          MediaChunk c = MediaChunk.newBuilder(stream.get(seq)).setIngestTimeMs(Instant.now()).build();
          producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(chunksTopic,
              KafkaTestClient.utf8(c.getStreamId()), codec.encode(c)));
        }
        producer.flush();
      }
    }
    String alertsTopic = config.get(dev.pestream.jobs.config.PerceptionOptions.TOPIC_ALERTS);
    int expected = scripts.stream().mapToInt(s -> (int) Math.ceil((seconds - 2.5 - 0.3 * scripts.indexOf(s)) / 6.0)).sum();
    List<ConsumerRecord<byte[], byte[]>> records = kafka.readCommitted(alertsTopic, expected, Duration.ofSeconds(3),
        Duration.ofMinutes(2));
    List<Long> fired = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      Alert a = RecordCodec.of(Alert.class).decode(r.value());
      fired.add(a.getFiredAtMs().toEpochMilli() - a.getChunkIngestTimeMs().toEpochMilli());
    }
    fired.sort(null);
    System.out.printf(Locale.ROOT, "alert latency, %d streams of 1 s chunks, %d alerts (expected %d): chunk ingest ->"
            + " alert written p50 %d ms, p99 %d ms%n", streams, fired.size(), expected, pct(fired, 50), pct(fired, 99));
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

  private static JobConfig config(KafkaTestClient kafka, String bundleKind, Map<String, String> opts) {
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
