package dev.pestream.ingest;

import dev.pestream.connectors.blob.BlobFileSystems;
import dev.pestream.connectors.blob.BlobLocations;
import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.connectors.kafka.BrokerCheck;
import dev.pestream.connectors.kafka.KafkaUnreachableException;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.RecordFormatOptions;
import dev.pestream.ingest.DurationConverter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pestream ingest SOURCE ...}: media into Kafka as {@code MediaChunk} records. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Cuts a media source into independently decodable chunks and publishes them to Kafka as MediaChunk"
          + " records (key = stream id).",
      "SOURCE: a file, rtsp://, http(s):// (also HLS playlists), srt://, udp://, or - for standard input.",
      "--sources FILE: many streams in one process, listed in a YAML file that is watched for edits."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ingested to the end of the source (or stopped with Ctrl-C)",
      "2:bad command line, or a mistake in the --sources file (FILE:LINE: what to fix)",
      "3:the source cannot be read",
      "4:Kafka cannot be reached or refused the records",
      "5:the blob store cannot be written",
      "6:a live source was lost and could not be reconnected",
      "8:the schema registry cannot be reached or refused the schema (--wire-format registry)",
      "1:unexpected error"
    })
public class IngestCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "SOURCE", description = "File, URL, or - for stdin.")
  String source;

  @Option(names = "--stream-id", description = "Stream id (Kafka key, per-stream state in the job); required with SOURCE.")
  String streamId;

  @Mixin SourcesOptions sources = new SourcesOptions();

  @Option(names = "--topic", required = true, description = "Kafka topic for the MediaChunk records.")
  String topic;

  @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
  String bootstrap;

  @Option(
      names = "--chunk-duration",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description = "Target chunk length (default ${DEFAULT-VALUE}). Remuxed video chunks end at the next keyframe.")
  Duration chunkDuration;

  @Option(names = "--transcode", description = "Re-encode video (H.264 + FLAC in Matroska) and cut exactly every chunk duration.")
  boolean transcode;

  @Option(names = "--video-bitrate", defaultValue = "2000000", description = "Bit rate of transcoded video (default ${DEFAULT-VALUE}).")
  long videoBitrate;

  @Option(
      names = "--container",
      defaultValue = "auto",
      description = "Container of video chunks: auto (MPEG-TS if the codecs fit, else fragmented MP4, else Matroska),"
          + " mpegts, mp4, matroska (default ${DEFAULT-VALUE}).")
  String container;

  @Option(names = "--audio-format", defaultValue = "flac", description = "Audio-only chunks: flac or wav (default ${DEFAULT-VALUE}).")
  String audioFormat;

  @Option(names = "--realtime", description = "Publish at 1x (a chunk when its end has passed), to simulate a live feed.")
  boolean realtime;

  @Option(
      names = "--live",
      negatable = true,
      description = "Treat the source as live: reconnect when it drops or ends. Default: on for network URLs.")
  Boolean live;

  @Option(
      names = "--max-reconnects",
      defaultValue = "-1",
      description = "Reconnect attempts in a row that deliver nothing before giving up; -1 = forever (default ${DEFAULT-VALUE}).")
  int maxReconnects;

  @Option(
      names = "--io-timeout",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Longest wait for data from the source (FFmpeg rw_timeout/timeout) (default ${DEFAULT-VALUE}).")
  Duration ioTimeout;

  @Option(
      names = "--inline-max-bytes",
      defaultValue = "" + ChunkPublisher.DEFAULT_INLINE_MAX_BYTES,
      description = "Chunks larger than this go to the blob store, the record carries URI + SHA-256 (default ${DEFAULT-VALUE}).")
  int inlineMaxBytes;

  @Option(
      names = "--blob-dir",
      defaultValue = "pestream-blobs",
      description = "Claim-check blob store: a directory or a file://, s3://... URI (default ${DEFAULT-VALUE}).")
  String blobDir;

  @Option(
      names = "--broker-timeout",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "How long to wait for Kafka at start before giving up (default ${DEFAULT-VALUE}).")
  Duration brokerTimeout;

  @Option(
      names = "--broker-outage",
      defaultValue = "2m",
      converter = DurationConverter.class,
      description = "Once started, how long a chunk may wait for an unreachable Kafka (retried, nothing lost or"
          + " duplicated: the producer is idempotent) before ingest gives up with exit code 4; at least 30s"
          + " (default ${DEFAULT-VALUE}).")
  Duration brokerOutage;

  @Option(names = "--first-seq", defaultValue = "0", description = "Sequence number of the first chunk (continue a stream).")
  long firstSeq;

  @Option(
      names = "--wire-format",
      defaultValue = "single-object",
      description = "Framing of the records: single-object (Avro single-object encoding) or registry (Confluent"
          + " schema-registry wire format, needs --registry-url) (default ${DEFAULT-VALUE}).")
  String wireFormat;

  @Option(names = "--registry-url", paramLabel = "URL", description = "Confluent-compatible schema registry (records.registry.url).")
  String registryUrl;

  @Option(
      names = "-D",
      paramLabel = "KEY=VALUE",
      description = "A records.registry.* setting, as for pestream run (e.g. records.registry.basic-auth=env:REGISTRY_AUTH,"
          + " records.registry.trust-store=/path, records.registry.subject-naming=record-name,"
          + " records.registry.auto-register=false).")
  Map<String, String> recordSettings = new java.util.LinkedHashMap<>();

  private static final String USAGE_HINT = "see pestream ingest --help";
  private static final String SOURCE_HINT = "check the path or URL: it must be audio or video that FFmpeg can read";
  private static final String KAFKA_HINT =
      "check --bootstrap and that the broker is running, or raise --broker-timeout (at start) or --broker-outage";

  @Spec CommandSpec spec;

  private final InputStream stdin;
  private final PrintStream err;
  private final IngestProgress progress;
  private final AtomicBoolean stop;

  /** The command line's own streams and a console progress reporter. */
  public IngestCommand() {
    this(System.in, System.err, IngestProgress.forConsole(), new AtomicBoolean());
  }

  /** For in-process callers: where stdin comes from, where messages go, and a stop flag. */
  public IngestCommand(InputStream stdin, PrintStream err, IngestProgress progress, AtomicBoolean stop) {
    this.stdin = stdin;
    this.err = err;
    this.progress = progress;
    this.stop = stop;
  }

  @Override
  public Integer call() {
    if (sources.file != null) {
      return callWithSources();
    }
    if (source == null || streamId == null) {
      return fail(IngestExitCodes.USAGE,
          new IllegalArgumentException(source == null ? "no SOURCE given" : "Missing required option: '--stream-id'"),
          "give SOURCE and --stream-id, or --sources FILE; " + USAGE_HINT);
    }
    IngestSettings settings;
    BlobStore blobs;
    RecordFormat format;
    try {
      ChunkingSettings chunking =
          new ChunkingSettings(
              chunkDuration.toNanos() / 1000,
              ChunkingSettings.Container.parse(container),
              ChunkingSettings.AudioFormat.parse(audioFormat),
              transcode,
              videoBitrate);
      settings =
          IngestSettings.builder(source)
              .stdin(stdin)
              .chunking(chunking)
              .realtime(realtime)
              .live(live)
              .maxReconnects(maxReconnects)
              .ioTimeoutUs(ioTimeout.toNanos() / 1000)
              .build();
      if (brokerOutage.toMillis() < ChunkPublisher.MIN_OUTAGE_MILLIS) {
        throw new IllegalArgumentException("--broker-outage must be at least 30s, got " + brokerOutage.toSeconds() + "s");
      }
      BlobFileSystems.initialize(new Configuration());
      blobs = new BlobStore(BlobLocations.parseRoot(blobDir));
      format = recordFormat();
    } catch (IllegalArgumentException e) {
      return fail(IngestExitCodes.USAGE, e, USAGE_HINT);
    }
    // the inputs are checked before anything is started: the source, then the broker
    try {
      SourceProbe.check(source, transcode);
    } catch (SourceException e) {
      return fail(IngestExitCodes.SOURCE_UNREADABLE, e, SOURCE_HINT);
    }
    try {
      BrokerCheck.verify(bootstrap, brokerTimeout);
    } catch (KafkaUnreachableException e) {
      return fail(IngestExitCodes.KAFKA_UNAVAILABLE, e, KAFKA_HINT);
    }
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = stopOnShutdown(finished, 15);
    try (ChunkPublisher publisher =
        ChunkPublisher.create(
            bootstrap,
            brokerOutage.toMillis(),
            topic,
            streamId,
            blobs,
            inlineMaxBytes,
            firstSeq,
            Map.of(ChunkPublisher.SOURCE_ATTRIBUTE, settings.sourceForDisplay()))) {
      publisher.writeIn(format);
      IngestSummary summary;
      Ingest ingest = new Ingest(settings, publisher, progress, stop::get);
      try (KafkaWaitReporter waiting = KafkaWaitReporter.start(publisher, bootstrap, progress)) {
        summary = ingest.run();
      }
      progress.finished(summary, settings.sourceForDisplay(), topic, streamId);
      if (summary.end() == IngestSummary.End.SOURCE_LOST) {
        err.println("error: lost the source " + settings.sourceForDisplay()
            + (summary.reconnects() > 0 ? " after " + summary.reconnects() + " reconnects" : "") + ": "
            + ingest.lastDropReason() + " (check that the source is up, or raise --max-reconnects;"
            + " --first-seq " + summary.nextSeq() + " continues the stream)");
        return IngestExitCodes.SOURCE_LOST;
      }
      return IngestExitCodes.OK;
    } catch (SourceException e) {
      return fail(IngestExitCodes.SOURCE_UNREADABLE, e, SOURCE_HINT);
    } catch (PublishException e) {
      return switch (e.kind()) {
        case BLOB_STORE -> fail(IngestExitCodes.BLOB_STORE_FAILED, e, "check --blob-dir and that it can be written");
        case SCHEMA_REGISTRY -> fail(IngestExitCodes.REGISTRY_UNAVAILABLE, e,
            "check --registry-url, the registry's credentials and that it is running");
        case KAFKA -> fail(IngestExitCodes.KAFKA_UNAVAILABLE, e, KAFKA_HINT);
      };
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(IngestExitCodes.INTERNAL_ERROR, e, "the ingestion was interrupted");
    } finally {
      finished.countDown();
      removeHook(hook);
    }
  }

  /** Ctrl-C, SIGTERM: ask the ingestion to stop, and hold the JVM until what was read is flushed. */
  private Thread stopOnShutdown(CountDownLatch finished, int waitSeconds) {
    Thread hook = new Thread(() -> {
      stop.set(true);
      try {
        finished.await(waitSeconds, TimeUnit.SECONDS);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }, "pestream-ingest-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is exiting: the hook is running and has been released
    }
  }

  /** Options of one source that belong in the sources file (its defaults or a source) with --sources. */
  private static final List<String> PER_SOURCE_OPTIONS = List.of(
      "--chunk-duration", "--transcode", "--video-bitrate", "--container", "--audio-format", "--realtime", "--live",
      "--max-reconnects", "--io-timeout", "--first-seq");

  /** {@code --sources FILE}: the file is read and checked, Kafka asked, then every stream runs until stopped. */
  private int callWithSources() {
    if (source != null || streamId != null) {
      return fail(IngestExitCodes.USAGE,
          new IllegalArgumentException("--sources replaces SOURCE and --stream-id"), "each source has its stream-id in the file");
    }
    for (String option : PER_SOURCE_OPTIONS) {
      if (spec != null && spec.commandLine().getParseResult().hasMatchedOption(option)) {
        return fail(IngestExitCodes.USAGE, new IllegalArgumentException(option + " is a per-source setting"),
            "with --sources put it under 'defaults:' or in a source of the file");
      }
    }
    SourcesConfig config;
    BlobStore blobs;
    RecordFormat format;
    try {
      config = SourcesFile.read(sources.file);
      format = recordFormat();
      if (brokerOutage.toMillis() < ChunkPublisher.MIN_OUTAGE_MILLIS) {
        throw new IllegalArgumentException("--broker-outage must be at least 30s, got " + brokerOutage.toSeconds() + "s");
      }
      BlobFileSystems.initialize(new Configuration());
      blobs = new BlobStore(BlobLocations.parseRoot(blobDir));
    } catch (SourcesFileException e) {
      return fail(IngestExitCodes.USAGE, e, "fix the sources file; its format is in ingest/README.md");
    } catch (IllegalArgumentException e) {
      return fail(IngestExitCodes.USAGE, e, USAGE_HINT);
    }
    try {
      BrokerCheck.verify(bootstrap, brokerTimeout);
    } catch (KafkaUnreachableException e) {
      return fail(IngestExitCodes.KAFKA_UNAVAILABLE, e, KAFKA_HINT);
    }
    try {
      format.codec(RecordCodec.of(MediaChunk.class)).prepareWrite(topic); // the registry is asked once, before any stream starts
    } catch (IllegalStateException e) {
      return fail(IngestExitCodes.REGISTRY_UNAVAILABLE, e, "check --registry-url, the registry's credentials and that it is running");
    }
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = stopOnShutdown(finished, 40); // every stream stops in parallel, within 15 s, then the producer flushes
    try {
      SourcesIngest.run(sources.file, config, sources, bootstrap, topic, blobs, inlineMaxBytes, format, brokerOutage, err,
          progress.isTerminal(), stop, port -> metricsPort = port);
      return IngestExitCodes.OK;
    } catch (IOException e) {
      return fail(IngestExitCodes.USAGE, e, "check --metrics-port and that the sources file can be read");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(IngestExitCodes.INTERNAL_ERROR, e, "the ingestion was interrupted");
    } finally {
      finished.countDown();
      removeHook(hook);
    }
  }

  /** The port metrics were served on with --sources and --metrics-port (for in-process callers). */
  public int metricsPort() {
    return metricsPort;
  }

  private volatile int metricsPort = -1;

  /** The wire format from --wire-format, --registry-url and the -D records.registry.* settings. */
  private RecordFormat recordFormat() {
    Map<String, String> values = new java.util.HashMap<>(recordSettings);
    for (String key : values.keySet()) {
      if (!key.startsWith("records.registry.")) {
        throw new IllegalArgumentException("-D takes records.registry.* settings only, got " + key);
      }
    }
    values.put(RecordFormatOptions.WIRE_FORMAT.key(), wireFormat);
    if (registryUrl != null) {
      values.put(RecordFormatOptions.REGISTRY_URL.key(), registryUrl);
    }
    return RecordFormat.from(Configuration.fromMap(values));
  }

  /**
   * Prints {@code error: <what> (<hint>)} and returns {@code code}; the stack trace only with
   * {@code --verbose} (the top-level command's option, inherited by this one).
   */
  private int fail(int code, Exception e, String hint) {
    err.println("error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + " (" + hint + ")");
    OptionSpec verbose = spec == null ? null : spec.findOption("--verbose");
    if (verbose != null && Boolean.TRUE.equals(verbose.getValue())) {
      e.printStackTrace(err);
    }
    return code;
  }
}
