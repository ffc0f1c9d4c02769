package dev.pestream.jobs.cli;

import dev.pestream.operators.decode.DecodeOptions;
import dev.pestream.connectors.blob.BlobStore;
import java.net.URI;

import dev.pestream.jobs.run.LocalFlink;
import dev.pestream.jobs.run.RestartDefaults;

import dev.pestream.jobs.run.CliError;
import dev.pestream.jobs.run.ExitCode;
import dev.pestream.jobs.run.Preflight;
import dev.pestream.ingest.SourceProbe;
import dev.pestream.ingest.SourceException;

import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.testing.registry.SchemaRegistryServer;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.RecordFormatOptions;
import dev.pestream.connectors.registry.WireFormat;
import dev.pestream.jobs.ControlRecordFiles;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.console.Console;
import dev.pestream.console.ConsoleOptions;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.jobs.demo.DemoSamples;
import dev.pestream.jobs.demo.JsonReport;
import dev.pestream.jobs.demo.OutputWatcher;
import dev.pestream.ingest.ChunkPublisher;
import dev.pestream.ingest.DurationConverter;
import dev.pestream.ingest.ChunkingSettings;
import dev.pestream.ingest.Ingest;
import dev.pestream.ingest.IngestProgress;
import dev.pestream.ingest.IngestSettings;
import dev.pestream.ingest.IngestSummary;
import dev.pestream.models.ContractBundle;
import dev.pestream.operators.captions.CaptionOptions;
import dev.pestream.media.FfmpegLog;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import dev.pestream.connectors.deadletter.DeadLetters;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pestream demo}: the whole pipeline on one machine — a real Kafka broker (KRaft) started
 * here, a local Flink MiniCluster, sample media (or the user's files) ingested into Kafka, an
 * example alert rule and tag vocabulary, the perception job, and a live summary of its outputs.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the perception pipeline end to end on this machine: embedded Kafka broker, local Flink"
        + " MiniCluster, sample clips (or --input files), an example alert rule and tag vocabulary.")
public final class DemoCommand implements Callable<Integer> {
  private static final String STDIN = "-";
  /** How long a network source may take to accept a connection in the check before start-up. */
  private static final Duration REACH_TIMEOUT = Duration.ofSeconds(5);
  /**
   * Reconnect attempts in a row that deliver nothing before the demo counts a live source as
   * ended (0.5 s doubling: about 15 s after it went away).
   */
  private static final int LIVE_MAX_RECONNECTS = 5;

  @Option(names = "--input", paramLabel = "SOURCE", arity = "1..*",
      description = "Media to ingest instead of the generated samples, one stream each: files (stream id = file name),"
          + " rtsp://, http(s):// (HLS too), srt:// URLs, or - for standard input. Live sources run until they end"
          + " (reconnected, given up after " + LIVE_MAX_RECONNECTS + " attempts in a row that deliver nothing), Ctrl-C"
          + " or --duration.")
  List<String> inputs;

  @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Stop ingesting after this long, e.g. 30s or 2m (default: until the inputs end, or Ctrl-C).")
  Duration duration;

  @Option(names = "--prompt", paramLabel = "TEXT",
      description = "A sound-event prompt scored on every stream (repeatable). Default: beep, hum.")
  List<String> prompts;

  @Option(names = "--tags", paramLabel = "WORDS", split = ",",
      description = "Comma-separated tag words for video tagging. Default: red,green,blue,yellow,white,black.")
  List<String> tags;

  @Option(names = "--models", paramLabel = "DIR|NAME",
      description = "A model bundle to run instead of the contract bundle: a folder, or a name installed by 'pestream models pull'.")
  Path models;

  @Option(names = "--report", paramLabel = "FILE.json",
      description = "Write every record of every output topic, as Avro JSON, grouped by topic.")
  Path report;

  @Option(names = "--follow", description = "Ingest in real time and keep running until Ctrl-C.")
  boolean follow;

  @Option(names = "--plm-endpoint", paramLabel = "URL",
      description = "OpenAI-compatible PLM server (/v1/chat/completions) for captions; captions are off without it.")
  String plmEndpoint;

  @Option(names = "--wire-format", paramLabel = "FORMAT", defaultValue = "single-object",
      description = "single-object (default) or registry: Confluent's schema-registry wire format, with an in-memory"
          + " registry (Confluent REST API) started next to the broker.")
  String wireFormat;

  @Option(names = "--console", description = "Serve the live console too (prints its address) and keep serving after the"
      + " input is processed, until Ctrl-C.")
  boolean console;

  @Option(names = "--console-port", paramLabel = "N", description = "Port of the console (default 8090; 0 = any free port).")
  int consolePort = ConsoleOptions.PORT.defaultValue();

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where sample clips, the bundle copy, claim-checked chunks and the job's checkpoints go (default: a temp dir).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    FfmpegLog.install();
    checkArguments();
    Path work = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("pestream-demo-");
    Path bundle = models != null ? models : ContractBundle.materialize(work.resolve("contract-bundle"));
    System.out.println("PE Stream demo");
    System.out.println("==============");
    if (models == null) {
      System.out.println("Model: the CONTRACT bundle — a tiny engineered stand-in with the PE models' inputs and outputs");
      System.out.println("       whose answers are designed (a tone scores 'beep', a red frame 'red'). Its outputs are NOT");
      System.out.println("       real Perception Encoder output. To run real PE-AV / PE-A-Frame weights, install them");
      System.out.println("       with ./pestream models pull facebook/pe-av-small and pass --models pe-av-small.");
    } else {
      System.out.println("Model: bundle " + bundle);
    }
    System.out.println(plmEndpoint == null ? "Captions: off (pass --plm-endpoint URL to caption windows with PLM)."
        : "Captions: PLM at " + plmEndpoint);

    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    // Ctrl-C: stop ingesting and following, then let the summary and report be written
    Thread onInterrupt = new Thread(() -> {
      stop.set(true);
      try {
        finished.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(onInterrupt);
    if (console) {
      // serving until Ctrl-C / SIGTERM is the normal end: stop cleanly and exit 0
      CountDownLatch signalled = StopSignals.install();
      Thread onSignal = new Thread(() -> {
        try {
          signalled.await();
          stop.set(true);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "demo-stop-signal");
      onSignal.setDaemon(true);
      onSignal.start();
    }
    try {
      return run(bundle, work, stop);
    } finally {
      finished.countDown();
    }
  }

  /** Everything the user passed is checked before the broker starts: a mistake costs no start-up. */
  private void checkArguments() {
    for (String input : inputs()) {
      if (SourceProbe.isLocalFile(input)) {
        checkMedia(Path.of(input));
      } else if (!STDIN.equals(input)) {
        checkReachable(input);
      }
    }
    if (inputs().stream().filter(STDIN::equals).count() > 1) {
      throw new CliError(ExitCode.USAGE, "standard input (-) can be read only once", "pass - at most once to --input");
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new CliError(ExitCode.USAGE, "--duration must be positive, got " + duration, "e.g. --duration 30s");
    }
    if (models != null) {
      models = Preflight.bundle(models);
    }
    if (plmEndpoint != null) {
      Preflight.httpUrl(plmEndpoint, "--plm-endpoint");
    }
    if (report != null) {
      Preflight.parentFolder(report, "--report");
    }
    try {
      WireFormat.parse(wireFormat);
    } catch (IllegalArgumentException e) {
      throw new CliError(ExitCode.USAGE, "--wire-format: " + e.getMessage(), "see pestream demo --help");
    }
  }

  private List<String> inputs() {
    return inputs == null ? List.of() : inputs;
  }

  /** Any network URL or stdin among the inputs: the job runs unbounded and ingests as the media arrives. */
  private boolean liveInputs() {
    return inputs().stream().anyMatch(i -> !SourceProbe.isLocalFile(i));
  }

  private int run(Path bundle, Path work, AtomicBoolean stop) throws Exception {
    boolean streaming = follow || liveInputs();
    // --duration counts from the start of ingestion, not of the broker and the job
    AtomicLong ingestStart = new AtomicLong(Long.MAX_VALUE);
    BooleanSupplier stopIngest = () -> stop.get()
        || duration != null && ingestStart.get() != Long.MAX_VALUE && System.nanoTime() - ingestStart.get() > duration.toNanos();
    List<String> ingestErrors = Collections.synchronizedList(new ArrayList<>());
    System.out.println("Starting a Kafka broker (KRaft) ...");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        SchemaRegistryServer registry = registryIfAsked()) {
      // chunks above Kafka's inline limit (an HD camera at 6 Mbit/s makes ~2 MB per second) are
      // claim-checked into the work folder, where the job reads them back
      URI blobs = Files.createDirectories(work.resolve("blobs")).toUri();
      JobConfig config = config(broker.bootstrapServers(), blobs, registry);
      if (registry != null) {
        System.out.println("Schema registry (Confluent REST API, in memory) at " + registry.url()
            + ": every topic in the registry wire format (docs/sql.md).");
      }
      KafkaEndpoints.createTopics(config, 2);
      ControlRecordFiles.publish(config, List.of(exampleRule()), List.of(vocabulary()));
      System.out.println("Alert rule: 'beep-alarm' fires when \"beep\" is heard (threshold 0.5, cooldown 5 s).");
      System.out.println("Tag vocabulary: " + String.join(", ", vocabulary().getTags()));
      try (Console liveConsole = console ? startConsole(config, bundle, work) : null) {

        List<String> sources = new ArrayList<>();
        if (!inputs().isEmpty()) {
          sources.addAll(inputs());
        } else {
          for (DemoSamples.Clip clip : DemoSamples.defaultClips()) {
            sources.add(DemoSamples.write(clip, work).toString());
            System.out.println("Sample stream " + clip.describe());
          }
        }
        PerceptionSettings settings = PerceptionSettings.from(config, bundle);
        List<Thread> ingesters = new ArrayList<>();
        if (!streaming) {
          ingestStart.set(System.nanoTime());
          for (String source : sources) {
            ingest(config, source, stopIngest); // bounded run: the job reads what is in Kafka when it starts
          }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2,
            LocalFlink.fileCheckpoints(LocalFlink.loopbackOnly(config.flinkSettings()), work.resolve("checkpoints")));
        env.enableCheckpointing(config.get(PerceptionOptions.CHECKPOINT_INTERVAL).toMillis());
        new PerceptionJob(settings).build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
        JobClient job = env.executeAsync("pestream demo");
        System.out.println("Perception job running on a local Flink MiniCluster (parallelism 2). Live results"
            + (streaming ? ":" : " (all input was ingested before the job started, so alert delays include its start-up):"));
        if (streaming) {
          ingestStart.set(System.nanoTime());
          for (String source : sources) {
            Thread t = new Thread(() -> {
              try {
                ingest(config, source, stopIngest);
              } catch (SourceException e) {
                if (!stopIngest.getAsBoolean()) { // a stop interrupts a connection being opened: not an error
                  ingestErrors.add(e.getMessage());
                }
              } catch (Exception e) {
                ingestErrors.add("ingest of " + SourceProbe.redact(source) + " failed: " + e.getMessage());
              }
            }, "ingest-" + streamIdOf(source));
            t.start();
            ingesters.add(t);
          }
        }
        // a local job's cluster shuts down with the job: follow its result, not its status
        CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
        try (OutputWatcher watcher = new OutputWatcher(broker.bootstrapServers(), config.kafkaClientProperties(),
            topics(config), System.out, RecordFormat.from(config.flink()))) {
          boolean inputsEnded = false;
          while (!stop.get() && !result.isDone()) {
            watcher.poll(Duration.ofMillis(500));
            // live inputs end the demo when they end (or at --duration); --follow alone waits for Ctrl-C
            if (streaming && (!follow || duration != null) && ingesters.stream().noneMatch(Thread::isAlive)) {
              inputsEnded = true;
              settle(watcher, config.get(PerceptionOptions.IDLE_TIMEOUT));
              break;
            }
          }
          boolean interrupted = !result.isDone();
          if (!interrupted || inputsEnded) {
            watcher.drain(Duration.ofSeconds(2));
          }
          String failure = result.isDone() ? failure(result) : null;
          watcher.printSummary();
          if (settings.contractBundle()) {
            System.out.println("These results come from the CONTRACT bundle (engineered answers, not Perception Encoder"
                + " output). Install real PE weights with ./pestream models pull and pass --models NAME.");
          }
          if (report != null) {
            JsonReport.write(report, about(settings, bundle), topicMap(config), watcher.records());
            System.out.println("Report: " + report.toAbsolutePath());
          }
          if (interrupted) {
            // Ctrl-C: the JVM is shutting down; give the job a moment to stop, no more
            job.cancel().get(5, TimeUnit.SECONDS);
          }
          if (!streaming && failure != null) {
            System.out.println("The job failed: " + failure);
            return 1;
          }
        }
        if (liveConsole != null && !stop.get()) {
          System.out.println("The console keeps serving at " + liveConsole.url() + " until Ctrl-C.");
          while (!stop.get()) {
            Thread.sleep(200);
          }
          System.out.println("Stopping the console ...");
        }
        for (Thread t : ingesters) {
          t.interrupt();
        }
      }
    }
    if (!ingestErrors.isEmpty()) {
      throw new CliError(ExitCode.INPUT, String.join("; ", ingestErrors), "check the URL and that the source is running");
    }
    return 0;
  }

  private Console startConsole(JobConfig config, Path bundle, Path work) throws java.io.IOException {
    Console started = ConsoleLauncher.start(ConsoleLauncher.settings(config, bundle,
        Files.createDirectories(work.resolve("console-index"))).port(consolePort).build());
    System.out.println("Console: " + started.url());
    return started;
  }

  private SchemaRegistryServer registryIfAsked() {
    if (WireFormat.parse(wireFormat) != WireFormat.REGISTRY) {
      return null;
    }
    System.out.println("Starting a schema registry ...");
    return SchemaRegistryServer.start();
  }

  /**
   * After the inputs ended: the job closes a stream's open windows and spans once it has been
   * idle for {@code idleTimeout} (processing time), and commits them at the next checkpoint.
   */
  private static void settle(OutputWatcher watcher, Duration idleTimeout) {
    long until = System.nanoTime() + idleTimeout.plusSeconds(3).toNanos();
    while (System.nanoTime() < until) {
      watcher.poll(Duration.ofMillis(500));
    }
  }

  private JobConfig config(String bootstrap, URI blobs, SchemaRegistryServer registry) {
    Map<String, String> s = new LinkedHashMap<>();
    if (registry != null) {
      s.put(RecordFormatOptions.WIRE_FORMAT.key(), WireFormat.REGISTRY.value());
      s.put(RecordFormatOptions.REGISTRY_URL.key(), registry.url());
    }
    s.put("kafka.bootstrap-servers", bootstrap);
    s.put(DecodeOptions.BLOB_ROOT.key(), blobs.toString());
    s.put("kafka.transactional-id-prefix", "pestream-demo");
    boolean streaming = follow || liveInputs();
    s.put(PerceptionOptions.BOUNDED.key(), String.valueOf(!streaming));
    s.put(PerceptionOptions.CHECKPOINT_INTERVAL.key(), "1 s");
    s.put(PerceptionOptions.PROMPTS.key(), String.join(";", prompts == null || prompts.isEmpty() ? List.of("beep", "hum") : prompts));
    // live inputs: a source gone for 5 s has its windows and spans closed, so the demo can end soon after it
    s.put(PerceptionOptions.IDLE_TIMEOUT.key(), follow ? "30 s" : streaming ? "5 s" : "0 s");
    if (plmEndpoint != null) {
      s.put(CaptionOptions.ENDPOINT.key(), plmEndpoint);
    }
    // a bug should end the demo with its error within half a minute (8 attempts, 1 s doubling to
    // 5 s), yet a broker restart (a few failures, each after Kafka's timeouts) should not
    RestartDefaults.exponentialDelay(8, Duration.ofSeconds(5)).toMap().forEach((k, v) -> s.put(JobConfig.FLINK_PREFIX + k, v));
    return JobConfig.of(s);
  }

  private void ingest(JobConfig config, String source, BooleanSupplier stopIngest) throws Exception {
    String streamId = streamIdOf(source);
    boolean file = SourceProbe.isLocalFile(source);
    IngestSettings settings = IngestSettings.builder(source)
        .chunking(ChunkingSettings.defaults())
        .realtime(follow && file) // live sources are paced by their own clock
        .maxReconnects(file ? -1 : LIVE_MAX_RECONNECTS)
        .build();
    String shown = file ? Path.of(source).getFileName().toString() : settings.sourceForDisplay();
    try (ChunkPublisher publisher = ChunkPublisher.create(config.get(
            dev.pestream.connectors.kafka.KafkaOptions.BOOTSTRAP_SERVERS), 30_000,
        config.get(PerceptionOptions.TOPIC_CHUNKS), streamId,
        new BlobStore(URI.create(config.get(DecodeOptions.BLOB_ROOT))), ChunkPublisher.DEFAULT_INLINE_MAX_BYTES, 0,
        Map.of(ChunkPublisher.SOURCE_ATTRIBUTE, shown))) {
      publisher.writeIn(RecordFormat.from(config.flink()));
      if (!file) {
        System.out.println("Ingesting " + shown + " as stream '" + streamId + "' live"
            + (duration == null ? " until it ends or Ctrl-C" : " for " + duration.toSeconds() + " s") + " ...");
      }
      IngestProgress progress = file ? IngestProgress.silent() : new IngestProgress(System.out, false);
      IngestSummary summary = new Ingest(settings, publisher, progress, stopIngest).run();
      System.out.printf(Locale.ROOT, "Ingested %s as stream '%s': %d chunks (%.1f s of media, %d reconnects, %s)%n",
          shown, streamId, summary.chunks(), summary.mediaUs() / 1e6, summary.reconnects(),
          summary.end().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
  }

  /**
   * A file's name without its extension; a URL's last path segment without extension, else its
   * host; "stdin" for -.
   */
  static String streamIdOf(String source) {
    if (STDIN.equals(source)) {
      return "stdin";
    }
    if (SourceProbe.isLocalFile(source)) {
      return Path.of(source).getFileName().toString().replaceFirst("\\.[^.]+$", "");
    }
    // scheme://[user@]host[:port][/path][?query]: the last path segment, else the host
    String rest = source.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "").replaceFirst("[?#].*$", "")
        .replaceFirst("^[^/@]*@", "");
    String[] parts = rest.split("/");
    String id = parts[0].replaceFirst(":\\d*$", "");
    for (int i = parts.length - 1; i > 0; i--) {
      if (!parts[i].isEmpty()) {
        id = parts[i].replaceFirst("\\.[^.]+$", "");
        break;
      }
    }
    id = id.replaceAll("[^A-Za-z0-9._-]", "_");
    return id.isEmpty() ? "live" : id;
  }

  /** Why the job failed, or null if it finished (or was cancelled by Ctrl-C). */
  private String failure(CompletableFuture<JobExecutionResult> result) {
    try {
      result.get();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (java.util.concurrent.CancellationException e) {
      return null;
    } catch (ExecutionException e) {
      return follow || liveInputs() ? null : DeadLetters.describe(e.getCause());
    }
  }

  private static AlertRule exampleRule() {
    return AlertRule.newBuilder().setRuleId("beep-alarm").setPrompt("beep").setThreshold(0.5f).setCooldownMs(5_000)
        .setStreamSelector("*").setUpdatedAtMs(Instant.now()).build();
  }

  private TagVocabulary vocabulary() {
    List<String> words = tags == null || tags.isEmpty() ? List.of("red", "green", "blue", "yellow", "white", "black") : tags;
    return TagVocabulary.newBuilder().setVocabularyId("demo").setTags(words).setTopK(2).setOnThreshold(0.6f)
        .setOffThreshold(0.4f).setUpdatedAtMs(Instant.now()).build();
  }

  private static OutputWatcher.Topics topics(JobConfig c) {
    return new OutputWatcher.Topics(c.get(PerceptionOptions.TOPIC_EMBEDDINGS), c.get(PerceptionOptions.TOPIC_SPANS),
        c.get(PerceptionOptions.TOPIC_ALERTS), c.get(PerceptionOptions.TOPIC_TAGS), c.get(PerceptionOptions.TOPIC_CAPTIONS),
        c.get(PerceptionOptions.TOPIC_DEAD_LETTERS));
  }

  private static Map<String, String> topicMap(JobConfig c) {
    return topics(c).byRole();
  }

  private static Map<String, Object> about(PerceptionSettings settings, Path bundle) {
    Map<String, Object> about = new LinkedHashMap<>();
    about.put("modelId", settings.modelId());
    about.put("bundle", bundle.toAbsolutePath().toString());
    about.put("contractBundle", settings.contractBundle());
    if (settings.contractBundle()) {
      about.put("note", "Outputs of the engineered contract bundle: designed test answers, not real Perception Encoder output.");
    }
    about.put("generatedAt", Instant.now().toString());
    return about;
  }

  /** A network source answers (TCP-based URLs are connected to and closed; nothing is read). */
  private static void checkReachable(String url) {
    try {
      SourceProbe.checkReachable(url, REACH_TIMEOUT);
    } catch (SourceException e) {
      throw new CliError(ExitCode.INPUT, e.getMessage(), "check the URL and that the source is running", e);
    }
  }

  /** A media file FFmpeg can open, with an audio or a video stream the job decodes as it is. */
  private static void checkMedia(Path file) {
    try {
      SourceProbe.check(file.toString(), false);
    } catch (SourceException e) {
      throw new CliError(ExitCode.INPUT, e.getMessage(),
          "pass an audio or video file in codecs the job decodes, e.g. H.264 + AAC", e);
    }
  }
}
