package dev.pestream.jobs;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.connectors.kafka.KafkaInput;
import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.operators.captions.CaptionPipeline;
import dev.pestream.operators.decode.DecodeStage;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.encode.EncodedChunk;
import dev.pestream.operators.encode.FrameEncoderOptions;
import dev.pestream.operators.encode.FrameEncoderStage;
import dev.pestream.operators.faults.FaultInjectionOptions;
import dev.pestream.operators.faults.InjectFaults;
import dev.pestream.operators.spans.SpanScorer;
import dev.pestream.operators.tags.TagTracker;
import dev.pestream.operators.windows.EmbeddingRecords;
import dev.pestream.operators.windows.WindowAssembler;
import dev.pestream.operators.windows.WindowEmbeddings;
import dev.pestream.operators.windows.WindowEncoderStage;
import dev.pestream.operators.windows.WindowInput;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordCodec;
import java.time.Instant;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The perception pipeline: media chunks → order / dedupe → decode → frame-level encoders →
 * per-stream windows → window encoders → embeddings and tags; per-frame PE-A-Frame scores →
 * spans and alerts; optionally caption windows → PLM server → captions. Every stage is a named
 * class from the operators module; this class only wires them, one method per branch, with a stable {@code uid} (savepoint compatibility) and a {@code name} on each.
 *
 * <p>It takes its sources and sinks, so tests and the demo run the same graph on other endpoints.
 */
public final class PerceptionJob {
  /** Operator uids: stable across releases so savepoints keep restoring. */
  public static final class Uids {
    public static final String SOURCE_CHUNKS = "source-chunks";
    public static final String PARSE_CHUNKS = "parse-chunks";
    public static final String SEQUENCE = "sequence-chunks";
    public static final String DECODE = "decode";
    /** Only in a job with injected faults (chaos testing). */
    public static final String INJECT_FAULTS = "inject-faults";
    public static final String ENCODE_FRAMES = "encode-frames";
    public static final String ASSEMBLE_WINDOWS = "assemble-windows";
    public static final String ENCODE_WINDOWS = "encode-windows";
    public static final String EMBEDDING_RECORDS = "embedding-records";
    public static final String SOURCE_RULES = "source-alert-rules";
    public static final String PARSE_RULES = "parse-alert-rules";
    public static final String SCORE_SPANS = "score-spans";
    public static final String SOURCE_VOCABULARIES = "source-tag-vocabularies";
    public static final String PARSE_VOCABULARIES = "parse-tag-vocabularies";
    public static final String TRACK_TAGS = "track-tags";
    public static final String SINK_EMBEDDINGS = "sink-embeddings";
    public static final String SINK_SPANS = "sink-spans";
    public static final String SINK_ALERTS = "sink-alerts";
    public static final String SINK_TAGS = "sink-tags";
    public static final String SINK_CAPTIONS = "sink-captions";
    public static final String SINK_DEAD_LETTERS = "sink-dead-letters";

    private Uids() {}
  }

  /** Where the job reads: media chunks and the two compacted control topics. */
  public record Inputs(
      Source<KafkaInput, ?, ?> chunks, Source<KafkaInput, ?, ?> alertRules, Source<KafkaInput, ?, ?> tagVocabularies) {}

  /** Where the job writes; {@code captions} may be null when captions are off. */
  public record Outputs(
      Sink<Embedding> embeddings,
      Sink<EventSpan> spans,
      Sink<Alert> alerts,
      Sink<TagEvent> tags,
      Sink<Caption> captions,
      Sink<DeadLetter> deadLetters) {}

  /** The streams the graph produces; {@code captions} is null when captions are off. */
  public record Graph(
      KeyedStream<DecodedChunk, String> decoded,
      DataStream<Embedding> embeddings,
      DataStream<EventSpan> spans,
      DataStream<Alert> alerts,
      DataStream<TagEvent> tags,
      DataStream<Caption> captions,
      DataStream<DeadLetter> deadLetters) {}

  private static final Logger LOG = LoggerFactory.getLogger(PerceptionJob.class);
  /**
   * On the path a sound takes to an alert, records (chunks, encoded chunks) are tens of KB to
   * megabytes: a network buffer is sent as soon as the record is written instead of its last
   * partial buffer waiting for Flink's buffer timeout (100 ms per hop by default).
   */
  private static final long FLUSH_EVERY_RECORD = 0;

  private final PerceptionSettings settings;

  public PerceptionJob(PerceptionSettings settings) {
    this.settings = settings;
  }

  /** Builds the pipeline on {@code env} and connects it to the sinks. */
  public Graph build(StreamExecutionEnvironment env, Inputs inputs, Outputs outputs) {
    Graph graph = build(env, inputs);
    graph.embeddings().sinkTo(outputs.embeddings()).uid(Uids.SINK_EMBEDDINGS).name("embeddings topic");
    graph.spans().sinkTo(outputs.spans()).uid(Uids.SINK_SPANS).name("spans topic");
    graph.alerts().sinkTo(outputs.alerts()).uid(Uids.SINK_ALERTS).name("alerts topic");
    graph.tags().sinkTo(outputs.tags()).uid(Uids.SINK_TAGS).name("tags topic");
    if (graph.captions() != null) {
      if (outputs.captions() == null) {
        throw new IllegalArgumentException("captions are on but no captions sink was given");
      }
      graph.captions().sinkTo(outputs.captions()).uid(Uids.SINK_CAPTIONS).name("captions topic");
    }
    graph.deadLetters().sinkTo(outputs.deadLetters()).uid(Uids.SINK_DEAD_LETTERS).name("dead-letter topic");
    return graph;
  }

  /** Builds the pipeline without sinks. */
  public Graph build(StreamExecutionEnvironment env, Inputs inputs) {
    // Decoded chunks carry megabytes of pixels: without object reuse Flink deep-copies every
    // record between chained operators. Every operator here emits fresh objects and copies what it
    // keeps, so handing the same object down the chain is safe.
    env.getConfig().enableObjectReuse();
    int maxRecordBytes = KafkaOptions.maxRecordBytes(settings.config().flink());
    RecordFormat format = RecordFormat.from(settings.config().flink());
    SingleOutputStreamOperator<MediaChunk> chunks = parseChunks(env, inputs, format, maxRecordBytes);
    SingleOutputStreamOperator<MediaChunk> sequenced = sequence(chunks);
    SingleOutputStreamOperator<DecodedChunk> decoded = decode(sequenced);
    KeyedStream<DecodedChunk, String> media = withInjectedFaults(decoded);

    KeyedStream<EncodedChunk, String> encoded = encodeFrames(media);
    SingleOutputStreamOperator<WindowEmbeddings> windows = encodeWindows(encoded);
    DataStream<Embedding> embeddings = embeddings(windows);
    SingleOutputStreamOperator<AlertRule> rules = parseRules(env, inputs, format, maxRecordBytes);
    SingleOutputStreamOperator<EventSpan> spans = spansAndAlerts(encoded, rules);
    SingleOutputStreamOperator<TagVocabulary> vocabularies = parseVocabularies(env, inputs, format, maxRecordBytes);
    SingleOutputStreamOperator<TagEvent> tags = tags(windows, vocabularies);
    SingleOutputStreamOperator<Caption> captions =
        settings.captionsOn() ? CaptionPipeline.attach(media, settings.captions()) : null;

    DataStream<DeadLetter> deadLetters = deadLetters(chunks, decoded, rules, vocabularies, spans, tags, captions);
    return new Graph(media, embeddings, spans, spans.getSideOutput(SpanScorer.ALERTS), tags, captions, deadLetters);
  }

  private static SingleOutputStreamOperator<MediaChunk> parseChunks(
      StreamExecutionEnvironment env, Inputs inputs, RecordFormat format, int maxRecordBytes) {
    return env
        .fromSource(inputs.chunks(), WatermarkStrategy.noWatermarks(), "media chunks").uid(Uids.SOURCE_CHUNKS)
        .process(ParseRecords.of(format.codec(RecordCodec.of(MediaChunk.class).withMaxBytes(maxRecordBytes))))
        .uid(Uids.PARSE_CHUNKS).name("parse chunks")
        .setBufferTimeout(FLUSH_EVERY_RECORD);
  }

  private SingleOutputStreamOperator<MediaChunk> sequence(DataStream<MediaChunk> chunks) {
    return chunks
        .keyBy(MediaChunk::getStreamId, Types.STRING)
        .process(settings.sequencer()).uid(Uids.SEQUENCE).name("order and dedupe chunks");
  }

  // Everything after the sequencer stays partitioned by stream id (forward connections after the
  // keyBy), so keyed state is used without shuffling decoded media or features between machines.
  private SingleOutputStreamOperator<DecodedChunk> decode(DataStream<MediaChunk> sequenced) {
    return sequenced
        .process(new DecodeStage(settings.decodeLimits(), settings.framePolicy(), settings.preprocessing(),
            settings.blobRoot(), settings.captionsOn() ? settings.captions().frames().framePolicy() : null)
            .withBlobRetries(settings.blobRetries()))
        .uid(Uids.DECODE).name("decode media");
  }

  private KeyedStream<DecodedChunk, String> withInjectedFaults(DataStream<DecodedChunk> decoded) {
    DataStream<DecodedChunk> media = decoded;
    if (settings.injectsFaults()) {
      LOG.warn("CHAOS TESTING: the job fails on purpose once at each of the chunks {} ({})",
          settings.faults().chunkIds(), FaultInjectionOptions.FAIL_ON.key());
      media = decoded.process(new InjectFaults(settings.faults())).uid(Uids.INJECT_FAULTS).name("chaos: injected faults");
    }
    return DataStreamUtils.reinterpretAsKeyedStream(media, c -> c.streamId, Types.STRING);
  }

  private KeyedStream<EncodedChunk, String> encodeFrames(KeyedStream<DecodedChunk, String> media) {
    // an operator of its own (not a process function): it keeps chunks in flight in the encoders
    // while the subtask decodes the next ones (docs/architecture.md, "Pipelined inference")
    int maxInFlight = settings.config().flink().get(FrameEncoderOptions.MAX_IN_FLIGHT);
    SingleOutputStreamOperator<EncodedChunk> encoded = media
        .transform("frame-level encoders", TypeInformation.of(EncodedChunk.class),
            new FrameEncoderStage(settings.models(), maxInFlight))
        .uid(Uids.ENCODE_FRAMES).name("frame-level encoders")
        .setBufferTimeout(FLUSH_EVERY_RECORD); // to the spans and alerts task
    return DataStreamUtils.reinterpretAsKeyedStream(encoded, c -> c.streamId, Types.STRING);
  }

  private SingleOutputStreamOperator<WindowEmbeddings> encodeWindows(KeyedStream<EncodedChunk, String> encoded) {
    return encoded
        .process(new WindowAssembler(settings.grid(), settings.framePolicy(), settings.idleTimeout()),
            TypeInformation.of(WindowInput.class))
        .uid(Uids.ASSEMBLE_WINDOWS).name("assemble windows")
        .process(new WindowEncoderStage(settings.models(), settings.modalities()),
            TypeInformation.of(WindowEmbeddings.class))
        .uid(Uids.ENCODE_WINDOWS).name("window encoders");
  }

  private static DataStream<Embedding> embeddings(DataStream<WindowEmbeddings> windows) {
    return windows.flatMap(new EmbeddingRecords()).uid(Uids.EMBEDDING_RECORDS).name("embedding records");
  }

  private static SingleOutputStreamOperator<AlertRule> parseRules(
      StreamExecutionEnvironment env, Inputs inputs, RecordFormat format, int maxRecordBytes) {
    return env
        .fromSource(inputs.alertRules(), WatermarkStrategy.noWatermarks(), "alert rules").uid(Uids.SOURCE_RULES)
        .process(ParseRecords.withTombstones(
            format.codec(RecordCodec.of(AlertRule.class).withMaxBytes(maxRecordBytes)), PerceptionJob::deletedRule))
        .uid(Uids.PARSE_RULES).name("parse alert rules");
  }

  private SingleOutputStreamOperator<EventSpan> spansAndAlerts(
      KeyedStream<EncodedChunk, String> encoded, DataStream<AlertRule> rules) {
    BroadcastStream<AlertRule> ruleBroadcast = rules.broadcast(SpanScorer.RULES);
    return encoded
        .connect(ruleBroadcast)
        .process(new SpanScorer(settings.models(), settings.spans()), RecordTypeInfo.forRecord(EventSpan.class))
        .uid(Uids.SCORE_SPANS).name("PE-A-Frame spans and alerts");
  }

  private static SingleOutputStreamOperator<TagVocabulary> parseVocabularies(
      StreamExecutionEnvironment env, Inputs inputs, RecordFormat format, int maxRecordBytes) {
    return env
        .fromSource(inputs.tagVocabularies(), WatermarkStrategy.noWatermarks(), "tag vocabularies")
        .uid(Uids.SOURCE_VOCABULARIES)
        .process(ParseRecords.withTombstones(
            format.codec(RecordCodec.of(TagVocabulary.class).withMaxBytes(maxRecordBytes)),
            PerceptionJob::deletedVocabulary))
        .uid(Uids.PARSE_VOCABULARIES).name("parse tag vocabularies");
  }

  private SingleOutputStreamOperator<TagEvent> tags(
      DataStream<WindowEmbeddings> windows, DataStream<TagVocabulary> vocabularies) {
    return DataStreamUtils
        .reinterpretAsKeyedStream(windows, w -> w.streamId, Types.STRING)
        .connect(vocabularies.broadcast(TagTracker.VOCABULARIES))
        .process(new TagTracker(settings.models(), "video"), RecordTypeInfo.forRecord(TagEvent.class))
        .uid(Uids.TRACK_TAGS).name("video tags");
  }

  /**
   * Every stage that dead-letters: parsing (chunks and both control topics), decoding, spans,
   * tags and captions (absent when captions are off).
   */
  private static DataStream<DeadLetter> deadLetters(SingleOutputStreamOperator<?>... stages) {
    DataStream<DeadLetter> all = null;
    for (SingleOutputStreamOperator<?> stage : stages) {
      if (stage != null) {
        DataStream<DeadLetter> failed = stage.getSideOutput(DeadLetters.TAG);
        all = all == null ? failed : all.union(failed);
      }
    }
    return all;
  }

  /** A tombstone on the rules topic deletes the rule with that key. */
  public static AlertRule deletedRule(String ruleId) {
    return AlertRule.newBuilder().setRuleId(ruleId).setPrompt("").setThreshold(0.5f).setDeleted(true)
        .setUpdatedAtMs(Instant.EPOCH).build();
  }

  /** A tombstone on the vocabularies topic deletes the vocabulary with that key. */
  public static TagVocabulary deletedVocabulary(String vocabularyId) {
    return TagVocabulary.newBuilder().setVocabularyId(vocabularyId).setTags(java.util.List.of()).setDeleted(true)
        .setUpdatedAtMs(Instant.EPOCH).build();
  }
}
