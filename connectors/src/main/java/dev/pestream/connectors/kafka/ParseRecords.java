package dev.pestream.connectors.kafka;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.schemas.codec.RecordDecodingException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import dev.pestream.connectors.flink.RecordTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Parses raw Kafka records into one Avro record type, in either wire format ({@link WireCodec}). A
 * record that cannot be parsed (not Avro, unknown schema fingerprint or registry schema id, registry
 * unreachable, truncated, oversized, empty) becomes a {@link DeadLetter} on
 * {@link DeadLetters#TAG} with its origin and the reason; the job never fails on input bytes.
 */
public class ParseRecords<T extends SpecificRecordBase> extends ProcessFunction<KafkaInput, T>
    implements ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = "deserialize";
  public static final String METRIC_RECORDS_PARSED = "recordsParsed";
  public static final String METRIC_DEAD_LETTERS = "deadLetters";

  private final WireCodec<T> codec;
  private final SerializableFunction<String, T> tombstone;

  private transient Counter parsed;
  private transient Counter deadLetters;

  private ParseRecords(WireCodec<T> codec, SerializableFunction<String, T> tombstone) {
    this.codec = codec;
    this.tombstone = tombstone;
  }

  /** Parses every record; a tombstone (null value) is a dead letter. */
  public static <T extends SpecificRecordBase> ParseRecords<T> of(RecordCodec<T> codec) {
    return of(WireCodec.singleObject(codec));
  }

  /** Parses every record in either wire format; a tombstone (null value) is a dead letter. */
  public static <T extends SpecificRecordBase> ParseRecords<T> of(WireCodec<T> codec) {
    return new ParseRecords<>(codec, null);
  }

  /**
   * For compacted control topics: a tombstone (null value) is turned into a record by {@code
   * fromKey} (for example a rule marked deleted).
   */
  public static <T extends SpecificRecordBase> ParseRecords<T> withTombstones(
      RecordCodec<T> codec, SerializableFunction<String, T> fromKey) {
    return withTombstones(WireCodec.singleObject(codec), fromKey);
  }

  /** {@link #withTombstones(RecordCodec, SerializableFunction)} reading either wire format. */
  public static <T extends SpecificRecordBase> ParseRecords<T> withTombstones(
      WireCodec<T> codec, SerializableFunction<String, T> fromKey) {
    return new ParseRecords<>(codec, fromKey);
  }

  @Override
  public void open(OpenContext openContext) {
    parsed = getRuntimeContext().getMetricGroup().counter(METRIC_RECORDS_PARSED);
    deadLetters = getRuntimeContext().getMetricGroup().counter(METRIC_DEAD_LETTERS);
  }

  @Override
  public void processElement(KafkaInput in, Context ctx, Collector<T> out) {
    String key = in.key == null ? null : new String(in.key, StandardCharsets.UTF_8);
    if (in.value == null && tombstone != null && key != null) {
      out.collect(tombstone.apply(key));
      parsed.inc();
      return;
    }
    try {
      out.collect(codec.decode(in.value));
      parsed.inc();
    } catch (RecordDecodingException e) {
      deadLetters.inc();
      DeadLetter.Builder letter =
          DeadLetters.builder(STAGE, e.kind().name(), e.getMessage())
              .setOriginTopic(in.topic)
              .setOriginPartition(in.partition)
              .setOriginOffset(in.offset)
              .setStreamId(key);
      ctx.output(DeadLetters.TAG, DeadLetters.withPayload(letter, in.value).build());
    }
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return RecordTypeInfo.forRecord(codec.type());
  }
}
