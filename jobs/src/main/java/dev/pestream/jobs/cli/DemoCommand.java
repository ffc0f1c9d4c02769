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
import dev.pestream.jobs.ControlRecordFiles;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.jobs.demo.DemoSamples;
import dev.pestream.jobs.demo.JsonReport;
import dev.pestream.jobs.demo.OutputWatcher;
import dev.pestream.ingest.ChunkPublisher;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
  @Option(names = "--input", paramLabel = "FILE", arity = "1..*",
      description = "Media files to ingest instead of the generated samples; one stream per file, stream id = file name.")
  List<Path> inputs;

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

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where sample clips, the bundle copy and claim-checked chunks go (default: a temp dir).")
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
      System.out.println("       real Perception Encoder output. To run real PE-AV / PE-A-Frame weights, export a bundle");
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
    try {
      return run(bundle, work, stop);
    } finally {
      finished.countDown();
    }
  }

  /** Everything the user passed is checked before the broker starts: a mistake costs no start-up. */
  private void checkArguments() {
    for (Path input : inputs == null ? List.<Path>of() : inputs) {
      checkMedia(input);
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
  }

  private int run(Path bundle, Path work, AtomicBoolean stop) throws Exception {
    System.out.println("Starting a Kafka broker (KRaft) ...");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      // chunks above Kafka's inline limit (an HD camera at 6 Mbit/s makes ~2 MB per second) are
      // claim-checked into the work folder, where the job reads them back
      URI blobs = Files.createDirectories(work.resolve("blobs")).toUri();
      JobConfig config = config(broker.bootstrapServers(), blobs);
      KafkaEndpoints.createTopics(config, 2);
      ControlRecordFiles.publish(config, List.of(exampleRule()), List.of(vocabulary()));
      System.out.println("Alert rule: 'beep-alarm' fires when \"beep\" is heard (threshold 0.5, cooldown 5 s).");
      System.out.println("Tag vocabulary: " + String.join(", ", vocabulary().getTags()));

      List<Path> files = new ArrayList<>();
      if (inputs != null && !inputs.isEmpty()) {
        files.addAll(inputs);
      } else {
        for (DemoSamples.Clip clip : DemoSamples.defaultClips()) {
          files.add(DemoSamples.write(clip, work));
          System.out.println("Sample stream " + clip.describe());
        }
      }
      PerceptionSettings settings = PerceptionSettings.from(config, bundle);
      List<Thread> ingesters = new ArrayList<>();
      if (!follow) {
        for (Path file : files) {
          ingest(config, file, stop); // bounded run: the job reads what is in Kafka when it starts
        }
      }
      StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, LocalFlink.loopbackOnly(config.flinkSettings()));
      env.enableCheckpointing(config.get(PerceptionOptions.CHECKPOINT_INTERVAL).toMillis());
      new PerceptionJob(settings).build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
      JobClient job = env.executeAsync("pestream demo");
      System.out.println("Perception job running on a local Flink MiniCluster (parallelism 2). Live results"
          + (follow ? ":" : " (all input was ingested before the job started, so alert delays include its start-up):"));
      if (follow) {
        for (Path file : files) {
          Thread t = new Thread(() -> {
            try {
              ingest(config, file, stop);
            } catch (Exception e) {
              System.out.println("  ! ingest of " + file + " failed: " + e.getMessage());
            }
          }, "ingest-" + file.getFileName());
          t.start();
          ingesters.add(t);
        }
      }
      // a local job's cluster shuts down with the job: follow its result, not its status
      CompletableFuture<JobExecutionResult> result = job.getJobExecutionResult();
      try (OutputWatcher watcher = new OutputWatcher(broker.bootstrapServers(), config.kafkaClientProperties(),
          topics(config), System.out)) {
        while (!stop.get() && !result.isDone()) {
          watcher.poll(Duration.ofMillis(500));
        }
        boolean interrupted = !result.isDone();
        if (!interrupted) {
          watcher.drain(Duration.ofSeconds(2));
        }
        String failure = interrupted ? null : failure(result);
        watcher.printSummary();
        if (settings.contractBundle()) {
          System.out.println("These results come from the CONTRACT bundle (engineered answers, not Perception Encoder"
              + " output). Export real PE weights with models/export and pass --models DIR.");
        }
        if (report != null) {
          JsonReport.write(report, about(settings, bundle), topicMap(config), watcher.records());
          System.out.println("Report: " + report.toAbsolutePath());
        }
        if (interrupted) {
          // Ctrl-C: the JVM is shutting down; give the job a moment to stop, no more
          job.cancel().get(5, TimeUnit.SECONDS);
        }
        if (!follow && failure != null) {
          System.out.println("The job failed: " + failure);
          return 1;
        }
      }
      for (Thread t : ingesters) {
        t.interrupt();
      }
    }
    return 0;
  }

  private JobConfig config(String bootstrap, URI blobs) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("kafka.bootstrap-servers", bootstrap);
    s.put(DecodeOptions.BLOB_ROOT.key(), blobs.toString());
    s.put("kafka.transactional-id-prefix", "pestream-demo");
    s.put(PerceptionOptions.BOUNDED.key(), String.valueOf(!follow));
    s.put(PerceptionOptions.CHECKPOINT_INTERVAL.key(), "1 s");
    s.put(PerceptionOptions.PROMPTS.key(), String.join(";", prompts == null || prompts.isEmpty() ? List.of("beep", "hum") : prompts));
    s.put(PerceptionOptions.IDLE_TIMEOUT.key(), follow ? "30 s" : "0 s");
    if (plmEndpoint != null) {
      s.put(CaptionOptions.ENDPOINT.key(), plmEndpoint);
    }
    // a bug should end the demo with its error within half a minute (8 attempts, 1 s doubling to
    // 5 s), yet a broker restart (a few failures, each after Kafka's timeouts) should not
    RestartDefaults.exponentialDelay(8, Duration.ofSeconds(5)).toMap().forEach((k, v) -> s.put(JobConfig.FLINK_PREFIX + k, v));
    return JobConfig.of(s);
  }

  private void ingest(JobConfig config, Path file, AtomicBoolean stop) throws Exception {
    String streamId = file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
    IngestSettings settings = IngestSettings.builder(file.toString())
        .chunking(ChunkingSettings.defaults())
        .realtime(follow)
        .build();
    try (ChunkPublisher publisher = ChunkPublisher.create(config.get(
            dev.pestream.connectors.kafka.KafkaOptions.BOOTSTRAP_SERVERS), 30_000,
        config.get(PerceptionOptions.TOPIC_CHUNKS), streamId,
        new BlobStore(URI.create(config.get(DecodeOptions.BLOB_ROOT))), ChunkPublisher.DEFAULT_INLINE_MAX_BYTES, 0,
        Map.of(ChunkPublisher.SOURCE_ATTRIBUTE, file.getFileName().toString()))) {
      IngestSummary summary = new Ingest(settings, publisher, IngestProgress.silent(), stop::get).run();
      System.out.printf(Locale.ROOT, "Ingested %s as stream '%s': %d chunks%n", file.getFileName(), streamId,
          summary.chunks());
    }
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
      return follow ? null : DeadLetters.describe(e.getCause());
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
