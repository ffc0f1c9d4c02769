package dev.pestream.tests.bench;

import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.ContractBundle;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.schemas.codec.RecordDecodingException;
import dev.pestream.tests.bench.TimeSeriesPlot.Panel;
import dev.pestream.tests.bench.TimeSeriesPlot.Phase;
import dev.pestream.tests.bench.TimeSeriesPlot.Series;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.tests.support.OutputTally;
import dev.pestream.tests.support.ShortChunkStreams;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Load and soak of the perception job on the embedded stack (KRaft broker in a child JVM, the job
 * on a local MiniCluster in this JVM, contract bundle on CPU); not a test. Phases:
 *
 * <ol>
 *   <li><b>ramp</b>: input at rising rates (steps of {@code --ramp-step}); the sustainable rate is
 *       the highest step the job keeps up with (its lag does not grow). The backlog then drains.
 *   <li><b>soak</b>: input at {@code --factor} (2) times the sustainable rate for {@code --soak}
 *       (30 min): the job must hold its pace under backpressure (the backlog waits in Kafka), stay
 *       up, and not grow in memory.
 *   <li><b>drain</b>: input stops; the consumer lag must fall back to zero.
 * </ol>
 *
 * <p>Every {@code --sample} it records input rate, throughput (chunks the job consumed, from the
 * offsets its source commits at checkpoints), lag, and this process's resident, native and heap
 * memory; it writes {@code soak.csv} and {@code soak.png} to {@code --out} and prints the figures
 * and a verdict: backpressure held (job running, no restart, throughput kept under overload), lag
 * back to zero, resident and native memory growth after warm-up below 5%, no OutOfMemoryError;
 * then it reads the embeddings back (read_committed) and checks every window came out once.
 * Run with a fixed heap, so that resident-memory growth means native growth:
 *
 * <pre>
 * BENCH_JAVA_OPTS="-Xms1g -Xmx1g -XX:+AlwaysPreTouch" \
 *   scripts/bench.sh tests dev.pestream.tests.bench.SoakBenchmark --soak 30m --ramp-start 300 --ramp-increment 50
 * </pre>
 */
public final class SoakBenchmark {
  private static final double GROWTH_LIMIT = 0.05;

  /** One sample of the run. */
  record Sample(double minute, String phase, double inputRate, double throughput, long produced, long consumed,
      ProcessMemory memory, String jobStatus) {
    long lag() {
      return produced - consumed;
    }
  }

  private final Options options;
  private final KafkaTestClient kafka;
  private final Map<String, String> topics;
  private final String groupId = "soak";
  private final ShortChunkStreams media;
  private final List<Sample> samples = new ArrayList<>();
  private final long started = System.nanoTime();
  private final AtomicLong produced = new AtomicLong();
  private final AtomicReference<Throwable> producerFailure = new AtomicReference<>();
  private final long[] nextSeq;
  private volatile double rate;
  private volatile boolean producing = true;
  private String phase = "warm-up";
  private JobClient job;
  private long lastConsumed;
  private long lastProduced;
  private long lastSampleNanos = System.nanoTime();

  private SoakBenchmark(Options options, KafkaTestClient kafka, Path scratch) {
    this.options = options;
    this.kafka = kafka;
    this.topics = kafka.newJobTopics("soak-", 2);
    this.media = new ShortChunkStreams(scratch);
    this.nextSeq = new long[options.streams];
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path scratch = Files.createTempDirectory("pestream-soak-");
    Files.createDirectories(options.out);
    System.out.printf(Locale.ROOT, "soak: %d streams (%d with video) of 200 ms chunks, parallelism %d, %d cores, heap"
            + " max %d MB; ramp from %.0f chunks/s by %.0f every %d s, then %.1fx for %d min%n",
        options.streams, options.videoStreams, options.parallelism, Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, options.rampStart, options.rampIncrement,
        options.rampStep.toSeconds(), options.factor, options.soak.toMinutes());
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      new SoakBenchmark(options, new KafkaTestClient(broker.bootstrapServers()), scratch).run(scratch);
    }
  }

  private void run(Path scratch) throws Exception {
    ShortChunkStreams.publishControlRecords(kafka, topics);
    Map<String, String> settings = new HashMap<>(ShortChunkStreams.jobSettings(null));
    settings.putAll(topics);
    settings.put("kafka.bootstrap-servers", kafka.bootstrapServers());
    settings.put("job.group-id", groupId);
    settings.put("kafka.transactional-id-prefix", "soak-" + topics.get("topics.chunks"));
    JobConfig config = JobConfig.of(settings);
    Configuration flink = new Configuration();
    flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // a failure ends the run and is reported
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(options.parallelism, flink);
    env.enableCheckpointing(1000);
    new PerceptionJob(PerceptionSettings.from(config, ContractBundle.materialize(scratch.resolve("bundle"))))
        .build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    job = env.executeAsync("pestream soak");

    Thread producer = new Thread(this::produce, "soak-producer");
    producer.setDaemon(true);
    double sustainable;
    try {
      rate = options.rampStart;
      producer.start();
      hold(options.rampStep); // JIT, ONNX Runtime sessions, first checkpoints
      sustainable = ramp();
      rate = 0;
      phase = "ramp drain";
      awaitLagZero(options.drainMax);

      double soakRate = options.factor * sustainable;
      System.out.printf(Locale.ROOT, "[soak] sustainable %.0f chunks/s; soak at %.0f chunks/s for %d min%n",
          sustainable, soakRate, options.soak.toMinutes());
      phase = "soak";
      double soakStart = minutes();
      rate = soakRate;
      hold(options.soak);
      double soakEnd = minutes();
      rate = 0;
      phase = "drain";
      boolean drained = awaitLagZero(options.drainMax);
      double end = minutes();
      producing = false;
      producer.join(10_000);

      Verdict verdict = verdict(sustainable, soakRate, soakStart, soakEnd, drained);
      writeCsv(options.out.resolve("soak.csv"));
      plot(options.out.resolve("soak.png"), sustainable, soakRate, soakStart, soakEnd, end);
      System.out.println(verdict.report());
      checkEmbeddings();
      System.out.println("[soak] plot: " + options.out.resolve("soak.png").toAbsolutePath() + ", samples: "
          + options.out.resolve("soak.csv").toAbsolutePath());
    } finally {
      producing = false;
      if (job.getJobStatus().get() == JobStatus.RUNNING) {
        job.cancel().get();
      }
    }
  }

  /** Raises the input rate step by step until the lag grows; returns the last rate the job kept up with. */
  private double ramp() {
    double kept = 0;
    for (double r = options.rampStart; r <= options.rampMax; r += options.rampIncrement) {
      phase = String.format(Locale.ROOT, "ramp %.0f/s", r);
      rate = r;
      long lagBefore = samples.get(samples.size() - 1).lag();
      hold(options.rampStep);
      long lagAfter = samples.get(samples.size() - 1).lag();
      double sent = r * options.rampStep.toSeconds();
      // offsets are committed at checkpoints (every 1 s): 1.5 s of input plus 2% is measuring slack
      boolean keptUp = lagAfter - lagBefore <= 0.02 * sent + 1.5 * r;
      System.out.printf(Locale.ROOT, "[soak] ramp %.0f chunks/s: lag %d -> %d: %s%n", r, lagBefore, lagAfter,
          keptUp ? "kept up" : "falling behind");
      if (!keptUp) {
        break;
      }
      kept = r;
    }
    if (kept == 0) {
      throw new IllegalStateException("the job did not keep up with the lowest rate, " + options.rampStart + "/s");
    }
    return kept;
  }

  /** Samples for {@code duration}; fails if the job stops. */
  private void hold(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < end) {
      sleep(Math.min(options.sample.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      Sample s = sample();
      if (!s.jobStatus().equals(JobStatus.RUNNING.name())) {
        throw new IllegalStateException("the job is " + s.jobStatus() + " at minute " + s.minute() + ": " + failure());
      }
      if (producerFailure.get() != null) {
        throw new IllegalStateException("the producer failed", producerFailure.get());
      }
    }
  }

  /** Samples until the job has consumed everything produced; false if that takes longer than {@code max}. */
  private boolean awaitLagZero(Duration max) {
    long end = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < end) {
      sleep(options.sample.toMillis());
      Sample s = sample();
      if (!s.jobStatus().equals(JobStatus.RUNNING.name())) {
        throw new IllegalStateException("the job is " + s.jobStatus() + ": " + failure());
      }
      if (s.lag() == 0) {
        return true;
      }
    }
    return false;
  }

  private Sample sample() {
    long now = System.nanoTime();
    double seconds = Math.max(1e-3, (now - lastSampleNanos) / 1e9);
    long producedNow = produced.get();
    long consumedNow = kafka.committedOffsets(groupId, topics.get("topics.chunks"));
    String status;
    try {
      status = job.getJobStatus().get().name();
    } catch (Exception e) {
      status = "UNKNOWN (" + e + ")";
    }
    Sample s = new Sample(minutes(), phase, (producedNow - lastProduced) / seconds,
        (consumedNow - lastConsumed) / seconds, producedNow, consumedNow, ProcessMemory.now(), status);
    lastSampleNanos = now;
    lastProduced = producedNow;
    lastConsumed = consumedNow;
    samples.add(s);
    if (samples.size() % 12 == 0) {
      System.out.printf(Locale.ROOT, "[soak] %5.1f min %-12s in %6.1f/s out %6.1f/s lag %7d rss %5d MB native %5d MB"
              + " heap after GC %4d MB%n", s.minute(), s.phase(), s.inputRate(), s.throughput(), s.lag(),
          s.memory().residentBytes() >> 20, s.memory().nativeBytes() >> 20, s.memory().heapAfterGcBytes() >> 20);
    }
    return s;
  }

  /** Sends chunks of every stream round robin at {@link #rate}, paced, until {@link #producing} ends. */
  private void produce() {
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    String topic = topics.get("topics.chunks");
    try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
      double credit = 0;
      long last = System.nanoTime();
      int stream = 0;
      while (producing) {
        long now = System.nanoTime();
        credit = Math.min(credit + rate * (now - last) / 1e9, Math.max(1, rate)); // at most 1 s of burst
        last = now;
        while (credit >= 1 && producing) {
          MediaChunk chunk = next(stream);
          stream = (stream + 1) % options.streams;
          producer.send(new ProducerRecord<>(topic, KafkaTestClient.utf8(chunk.getStreamId()), codec.encode(chunk)),
              (meta, e) -> {
                if (e != null) {
                  producerFailure.compareAndSet(null, e);
                } else {
                  produced.incrementAndGet();
                }
              });
          credit -= 1;
        }
        sleep(5);
      }
      producer.flush();
    } catch (Throwable e) {
      producerFailure.compareAndSet(null, e);
    }
  }

  /**
   * The next chunk of stream {@code s}: a 600 ms tone every 10 s (offset per stream) and, on video
   * streams, a colour change every 20 s, so spans, alerts and tags keep coming.
   */
  private MediaChunk next(int s) {
    long seq = nextSeq[s]++;
    boolean tone = (seq + 7L * s) % 50 < 3;
    int colour = ShortChunkStreams.taggedColour((int) (seq / 100) + s);
    return media.chunk(ShortChunkStreams.streamId(s, options.videoStreams), s < options.videoStreams, seq, tone,
        colour);
  }

  private record Verdict(List<String> lines, boolean passed) {
    String report() {
      return String.join("\n", lines) + "\n[soak] VERDICT: " + (passed ? "PASS" : "FAIL");
    }
  }

  private Verdict verdict(double sustainable, double soakRate, double soakStart, double soakEnd, boolean drained) {
    List<String> lines = new ArrayList<>();
    double warmEnd = soakStart + options.warmup.toMinutes();
    List<Sample> soak = samples.stream().filter(s -> s.minute() > soakStart && s.minute() <= soakEnd).toList();
    List<Sample> afterWarmUp = samples.stream().filter(s -> s.minute() >= warmEnd).toList();
    double input = soak.stream().mapToDouble(Sample::inputRate).average().orElse(0);
    double throughput = soak.stream().filter(s -> s.minute() >= warmEnd).mapToDouble(Sample::throughput).average()
        .orElse(0);
    double slowestMinute = slowestMinute(soak.stream().filter(s -> s.minute() >= warmEnd).toList());
    long peakLag = soak.stream().mapToLong(Sample::lag).max().orElse(0);
    // under overload the job must keep working at a steady pace, never stall: the excess waits in Kafka
    boolean heldPace = slowestMinute >= 0.5 * sustainable;
    lines.add(String.format(Locale.ROOT, "[soak] rates: sustainable %.0f chunks/s (%.1f s of media/s); soak input"
            + " %.0f chunks/s (%.2fx), job throughput under overload %.0f chunks/s (%.2fx the sustainable rate,"
            + " slowest minute %.0f chunks/s)", sustainable, sustainable * ShortChunkStreams.CHUNK_US / 1e6, input,
        input / sustainable, throughput, throughput / sustainable, slowestMinute));
    Sample last = samples.get(samples.size() - 1);
    lines.add(String.format(Locale.ROOT, "[soak] lag: peak %d chunks at the end of the overload, %d after %.1f min of"
            + " drain (%s)", peakLag, last.lag(), last.minute() - soakEnd, drained ? "back to zero" : "NOT drained"));
    double rss = growth(afterWarmUp, warmEnd, m -> m.residentBytes());
    double nat = growth(afterWarmUp, warmEnd, ProcessMemory::nativeBytes);
    double heap = growth(afterWarmUp, warmEnd, ProcessMemory::heapAfterGcBytes);
    lines.add(String.format(Locale.ROOT, "[soak] memory after %d min of warm-up, first vs last 2 min (medians):"
            + " resident %s, native %s, heap after GC %s", options.warmup.toMinutes(), describe(afterWarmUp, warmEnd,
            ProcessMemory::residentBytes, rss), describe(afterWarmUp, warmEnd, ProcessMemory::nativeBytes, nat),
        describe(afterWarmUp, warmEnd, ProcessMemory::heapAfterGcBytes, heap)));
    boolean running = samples.stream().allMatch(s -> s.jobStatus().equals(JobStatus.RUNNING.name()));
    lines.add("[soak] job " + (running ? "RUNNING throughout, no restart (restart strategy none), no OutOfMemoryError"
        : "stopped: " + failure()));
    boolean passed = running && heldPace && drained && rss < GROWTH_LIMIT && nat < GROWTH_LIMIT;
    lines.add(String.format(Locale.ROOT, "[soak] backpressure held (running, no restart, every minute >= half the"
            + " sustainable rate): %s; lag back to zero: %s; resident growth < 5%%: %s;"
            + " native growth < 5%%: %s", running && heldPace, drained, rss < GROWTH_LIMIT, nat < GROWTH_LIMIT));
    return new Verdict(lines, passed);
  }

  /** The lowest throughput over any whole minute of {@code samples}. */
  private static double slowestMinute(List<Sample> samples) {
    double slowest = Double.MAX_VALUE;
    for (int i = 0; i < samples.size(); i++) {
      for (int j = i + 1; j < samples.size(); j++) {
        double minutes = samples.get(j).minute() - samples.get(i).minute();
        if (minutes >= 1) {
          slowest = Math.min(slowest, (samples.get(j).consumed() - samples.get(i).consumed()) / (minutes * 60));
          break;
        }
      }
    }
    return slowest == Double.MAX_VALUE ? 0 : slowest;
  }

  private interface Measure {
    long of(ProcessMemory m);
  }

  /** Relative change of the median of the last 2 minutes against the first 2 minutes after warm-up. */
  private static double growth(List<Sample> afterWarmUp, double warmEnd, Measure measure) {
    double first = median(afterWarmUp.stream().filter(s -> s.minute() < warmEnd + 2).toList(), measure);
    double lastMinute = afterWarmUp.isEmpty() ? 0 : afterWarmUp.get(afterWarmUp.size() - 1).minute();
    double last = median(afterWarmUp.stream().filter(s -> s.minute() > lastMinute - 2).toList(), measure);
    return first == 0 ? Double.NaN : (last - first) / first;
  }

  private static String describe(List<Sample> afterWarmUp, double warmEnd, Measure measure, double growth) {
    double first = median(afterWarmUp.stream().filter(s -> s.minute() < warmEnd + 2).toList(), measure);
    return String.format(Locale.ROOT, "%.0f MB -> %.0f MB (%+.1f%%)", first / (1 << 20),
        first * (1 + growth) / (1 << 20), growth * 100);
  }

  private static double median(List<Sample> samples, Measure measure) {
    long[] values = samples.stream().mapToLong(s -> measure.of(s.memory())).sorted().toArray();
    return values.length == 0 ? 0 : values[values.length / 2];
  }

  /** Reads every embedding back (read_committed): each window of each stream once. */
  private void checkEmbeddings() throws RecordDecodingException {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    RecordCodec<Embedding> codec = RecordCodec.of(Embedding.class);
    String topic = topics.get("topics.embeddings");
    Set<String> seen = new HashSet<>();
    long records = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          seen.add(OutputTally.key(codec.decode(r.value())));
          records++;
        }
      }
    }
    long expected = 0;
    for (int s = 0; s < options.streams; s++) {
      long windows = nextSeq[s] * ShortChunkStreams.CHUNK_US / ShortChunkStreams.WINDOW_US;
      expected += windows * (s < options.videoStreams ? 3 : 1);
    }
    System.out.printf(Locale.ROOT, "[soak] embeddings read back: %d records, %d distinct windows, %d expected for the"
        + " chunks sent (%s)%n", records, seen.size(), expected,
        records == seen.size() && seen.size() == expected ? "each exactly once" : "MISMATCH");
  }

  private void writeCsv(Path file) throws IOException {
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
      out.println("minute,phase,input_per_s,throughput_per_s,produced,consumed,lag,rss_mb,native_mb,heap_committed_mb,"
          + "heap_after_gc_mb,direct_mb,job");
      for (Sample s : samples) {
        ProcessMemory m = s.memory();
        out.printf(Locale.ROOT, "%.3f,%s,%.1f,%.1f,%d,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%s%n", s.minute(), s.phase(),
            s.inputRate(), s.throughput(), s.produced(), s.consumed(), s.lag(), mb(m.residentBytes()),
            mb(m.nativeBytes()), mb(m.heapCommittedBytes()), mb(m.heapAfterGcBytes()), mb(m.directBytes()),
            s.jobStatus());
      }
    }
  }

  private void plot(Path png, double sustainable, double soakRate, double soakStart, double soakEnd, double end)
      throws IOException {
    double[] minutes = samples.stream().mapToDouble(Sample::minute).toArray();
    double[] input = movingRate(Sample::produced);
    double[] throughput = movingRate(Sample::consumed);
    double[] lag = samples.stream().mapToDouble(s -> s.lag() / 1000.0).toArray();
    double[] rss = samples.stream().mapToDouble(s -> mb(s.memory().residentBytes())).toArray();
    double[] nat = samples.stream().mapToDouble(s -> mb(s.memory().nativeBytes())).toArray();
    double[] heap = samples.stream().mapToDouble(s -> mb(s.memory().heapAfterGcBytes())).toArray();
    List<Phase> phases = List.of(
        new Phase("ramp", 0, soakStart, new Color(235, 242, 255)),
        new Phase("soak " + String.format(Locale.ROOT, "%.1fx", options.factor), soakStart, soakEnd,
            new Color(255, 238, 230)),
        new Phase("warm-up", soakStart, Math.min(soakEnd, soakStart + options.warmup.toMinutes()),
            new Color(250, 225, 215)),
        new Phase("drain", soakEnd, end, new Color(232, 248, 232)));
    TimeSeriesPlot.write(png, String.format(Locale.ROOT, "PE Stream soak: %d streams of 200 ms chunks, %.1fx the"
            + " sustainable %.0f chunks/s for %d min (embedded stack, contract bundle, CPU)", options.streams,
        options.factor, sustainable, options.soak.toMinutes()), minutes, List.of(
            new Panel("chunks per second (30 s averages)", List.of(new Series("input", new Color(200, 80, 40), input),
                new Series("job throughput", new Color(30, 90, 200), throughput)), sustainable,
                String.format(Locale.ROOT, "sustainable %.0f/s", sustainable)),
            new Panel("consumer lag (thousand chunks)", List.of(new Series("lag", new Color(150, 40, 150), lag)),
                Double.NaN, ""),
            new Panel("memory of the job's JVM (MB)", List.of(new Series("resident", new Color(30, 90, 200), rss),
                new Series("native (resident - heap committed)", new Color(200, 80, 40), nat),
                new Series("heap after GC", new Color(40, 150, 60), heap)), Double.NaN, "")), phases);
  }

  /** Per sample, the rate of {@code counter} over the 30 s before it (or since the first sample). */
  private double[] movingRate(java.util.function.ToLongFunction<Sample> counter) {
    double[] rates = new double[samples.size()];
    int from = 0;
    for (int i = 0; i < samples.size(); i++) {
      while (samples.get(i).minute() - samples.get(from).minute() > 0.5) {
        from++;
      }
      double minutes = samples.get(i).minute() - samples.get(from).minute();
      rates[i] = minutes <= 0 ? 0
          : (counter.applyAsLong(samples.get(i)) - counter.applyAsLong(samples.get(from))) / (minutes * 60);
    }
    return rates;
  }

  private String failure() {
    try {
      job.getJobExecutionResult().get();
      return "ended without error";
    } catch (Exception e) {
      Throwable t = e;
      while (t.getCause() != null) {
        t = t.getCause();
      }
      return t.toString();
    }
  }

  private double minutes() {
    return (System.nanoTime() - started) / 60e9;
  }

  private static double mb(long bytes) {
    return bytes / (double) (1 << 20);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Command-line options ({@code --name value}). */
  record Options(int streams, int videoStreams, int parallelism, double rampStart, double rampIncrement,
      double rampMax, Duration rampStep, double factor, Duration soak, Duration warmup, Duration drainMax,
      Duration sample, Path out) {
    static Options parse(String[] args) {
      Map<String, String> o = new HashMap<>();
      for (int i = 0; i + 1 < args.length; i += 2) {
        o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
      return new Options(
          Integer.parseInt(o.getOrDefault("streams", "20")),
          Integer.parseInt(o.getOrDefault("video-streams", "4")),
          Integer.parseInt(o.getOrDefault("parallelism", "2")),
          Double.parseDouble(o.getOrDefault("ramp-start", "25")),
          Double.parseDouble(o.getOrDefault("ramp-increment", "25")),
          Double.parseDouble(o.getOrDefault("ramp-max", "2000")),
          duration(o.getOrDefault("ramp-step", "30s")),
          Double.parseDouble(o.getOrDefault("factor", "2")),
          duration(o.getOrDefault("soak", "30m")),
          duration(o.getOrDefault("warmup", "5m")),
          duration(o.getOrDefault("drain-max", "60m")),
          duration(o.getOrDefault("sample", "5s")),
          Path.of(o.getOrDefault("out", "target/soak")));
    }

    private static Duration duration(String s) {
      return org.apache.flink.util.TimeUtils.parseDuration(s);
    }
  }
}
