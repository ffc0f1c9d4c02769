package dev.pestream.jobs;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.connectors.kafka.KafkaInputSource;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.connectors.kafka.RecordSink;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Copies {@link MediaChunk} records from one Kafka topic to another, exactly once (Kafka
 * transactions committed on checkpoints), optionally stamping a version attribute into every
 * copy. Input that is not a valid MediaChunk goes to a dead-letter topic with the reason. Use it
 * to replay a capture into a test topic or move chunks between topics; it is also the job the
 * multi-process cluster tests submit as a jar.
 *
 * <pre>
 * flink run -c dev.pestream.jobs.CopyChunksJob pestream-jobs-VERSION-job.jar \
 *     --bootstrap-servers kafka:9092 --input-topic media.chunks --output-topic media.chunks.copy \
 *     --dead-letter-topic dead-letters [--stamp-version v2] [--bounded]
 * </pre>
 *
 * <p>Operator uids are fixed, so a run restored from a savepoint of an earlier run (possibly with
 * another {@code --stamp-version}) continues exactly where the earlier run stopped.
 */
@Command(
    name = "copy-chunks",
    description = "Copies MediaChunk records between Kafka topics exactly once; invalid records go to a"
        + " dead-letter topic.")
public final class CopyChunksJob {
  /** Attribute of each copied chunk that holds {@code --stamp-version}. */
  public static final String VERSION_ATTRIBUTE = "pestream.copy-version";

  public static final String SOURCE_UID = "copy-chunks-source";
  public static final String PARSE_UID = "copy-chunks-parse";
  public static final String STAMP_UID = "copy-chunks-stamp";
  public static final String SINK_UID = "copy-chunks-sink";
  public static final String DEAD_LETTER_SINK_UID = "copy-chunks-dead-letter-sink";

  /** Operator name of the parsing stage (its metrics carry this name). */
  public static final String PARSE_NAME = "parse chunks";

  private static final RecordCodec<MediaChunk> CHUNKS = RecordCodec.of(MediaChunk.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTERS = RecordCodec.of(DeadLetter.class);

  @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers (host:port,...).")
  String bootstrapServers;

  @Option(names = "--input-topic", required = true, description = "Topic to read MediaChunk records from.")
  String inputTopic;

  @Option(names = "--output-topic", required = true, description = "Topic to write the copies to.")
  String outputTopic;

  @Option(names = "--dead-letter-topic", required = true, description = "Topic for records that are not valid MediaChunks.")
  String deadLetterTopic;

  @Option(names = "--group-id", defaultValue = "pestream-copy-chunks",
      description = "Kafka consumer group id, also the default transactional id prefix (default: ${DEFAULT-VALUE}).")
  String groupId;

  @Option(names = "--transactional-id-prefix",
      description = "Prefix of the sinks' Kafka transactional ids; unique per deployment, stable across restarts"
          + " (default: the group id).")
  String transactionalIdPrefix;

  @Option(names = "--stamp-version",
      description = "Written into attribute '" + VERSION_ATTRIBUTE + "' of every copy (default: not stamped).")
  String stampVersion;

  @Option(names = "--checkpoint-interval", defaultValue = "10s", converter = FlinkDuration.class,
      description = "Checkpoint interval; copies become visible to read_committed readers at each checkpoint"
          + " (default: ${DEFAULT-VALUE}).")
  Duration checkpointInterval;

  @Option(names = "--bounded",
      description = "Copy what the input topic holds when the job starts, then finish (default: run forever).")
  boolean bounded;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  /**
   * Entry point for {@code flink run} and the REST API. Never calls {@code System.exit}: in a
   * session cluster this runs inside the JobManager.
   */
  public static void main(String[] args) throws Exception {
    CommandLine cli = new CommandLine(new CopyChunksJob());
    CopyChunksJob job = parse(cli, args);
    if (cli.isUsageHelpRequested()) {
      cli.usage(System.out);
      return;
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    job.addTo(env);
    env.execute(job.jobName());
  }

  /** Parses and validates the arguments; a bad argument is an IllegalArgumentException with the usage. */
  public static CopyChunksJob parse(String... args) {
    return parse(new CommandLine(new CopyChunksJob()), args);
  }

  private static CopyChunksJob parse(CommandLine cli, String... args) {
    try {
      cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage() + "\n" + cli.getUsageMessage(), e);
    }
    CopyChunksJob job = cli.getCommand();
    if (!job.help) {
      job.validate();
    }
    return job;
  }

  private void validate() {
    if (checkpointInterval.isNegative() || checkpointInterval.isZero()) {
      throw new IllegalArgumentException("--checkpoint-interval must be positive, got " + checkpointInterval);
    }
    if (inputTopic.equals(outputTopic) || inputTopic.equals(deadLetterTopic)) {
      throw new IllegalArgumentException("the input topic must differ from the output and dead-letter topics");
    }
    if (stampVersion != null && stampVersion.isBlank()) {
      throw new IllegalArgumentException("--stamp-version must not be blank");
    }
  }

  /** The job's name in Flink (REST, web UI, metrics' job_name label). */
  public String jobName() {
    return "copy-chunks " + inputTopic + " -> " + outputTopic;
  }

  /** Adds the job's dataflow to {@code env}: source → parse → stamp → exactly-once sinks. */
  public void addTo(StreamExecutionEnvironment env) {
    env.enableCheckpointing(checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
    String transactions = transactionalIdPrefix != null ? transactionalIdPrefix : groupId;

    SingleOutputStreamOperator<MediaChunk> chunks = env
        .fromSource(
            KafkaInputSource.builder().bootstrapServers(bootstrapServers).topics(inputTopic).groupId(groupId)
                .boundedAtLatest(bounded).build(),
            WatermarkStrategy.noWatermarks(), "media chunks in")
        .uid(SOURCE_UID).name("media chunks in")
        .process(ParseRecords.of(CHUNKS)).uid(PARSE_UID).name(PARSE_NAME);

    chunks.map(new StampVersion(stampVersion)).uid(STAMP_UID).name("stamp version")
        .sinkTo(RecordSink.builder(CHUNKS).bootstrapServers(bootstrapServers).topic(outputTopic)
            .key(MediaChunk::getStreamId).exactlyOnce(transactions + "-out").build())
        .uid(SINK_UID).name("media chunks out");

    chunks.getSideOutput(DeadLetters.TAG)
        .sinkTo(RecordSink.builder(DEAD_LETTERS).bootstrapServers(bootstrapServers).topic(deadLetterTopic)
            .key(DeadLetter::getStreamId).exactlyOnce(transactions + "-dlq").build())
        .uid(DEAD_LETTER_SINK_UID).name("dead letters out");
  }

  /**
   * Writes a version into {@link #VERSION_ATTRIBUTE} of each chunk (other attributes kept); with no
   * version, passes chunks through unchanged. Always part of the dataflow, so that runs with and
   * without a version restore from each other's savepoints.
   */
  public static final class StampVersion implements MapFunction<MediaChunk, MediaChunk>, ResultTypeQueryable<MediaChunk> {
    private static final long serialVersionUID = 1L;
    private final String version;

    public StampVersion(String version) {
      this.version = version;
    }

    @Override
    public MediaChunk map(MediaChunk chunk) {
      if (version == null) {
        return chunk;
      }
      Map<String, String> attributes = new HashMap<>(chunk.getAttributes());
      attributes.put(VERSION_ATTRIBUTE, version);
      chunk.setAttributes(attributes);
      return chunk;
    }

    @Override
    public TypeInformation<MediaChunk> getProducedType() {
      return RecordTypeInfo.forRecord(MediaChunk.class);
    }
  }

  /** Durations as Flink writes them: {@code 500ms}, {@code 10s}, {@code 1min}. */
  static final class FlinkDuration implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return TimeUtils.parseDuration(value);
    }
  }
}
