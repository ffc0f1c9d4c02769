package dev.pestream.connectors.kafka;

import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Builds a Kafka sink for one record type: Avro in the single-object encoding or the registry wire
 * format ({@link WireCodec}), key from the record
 * (stream id for data topics), exactly-once (Kafka transactions committed on checkpoints;
 * readers use isolation.level=read_committed) or at-least-once (visible immediately).
 */
public final class RecordSink<T extends SpecificRecordBase> {
  private final WireCodec<T> codec;
  private String bootstrapServers;
  private String topic;
  private SerializableFunction<T, String> key;
  private DeliveryGuarantee guarantee = DeliveryGuarantee.EXACTLY_ONCE;
  private String transactionalIdPrefix;
  private Duration transactionTimeout = KafkaOptions.TRANSACTION_TIMEOUT.defaultValue();
  private final Properties clientProperties = new Properties();

  private RecordSink(WireCodec<T> codec) {
    this.codec = codec;
  }

  /** A sink writing the single-object encoding. */
  public static <T extends SpecificRecordBase> RecordSink<T> builder(RecordCodec<T> codec) {
    return builder(WireCodec.singleObject(codec));
  }

  /** A sink writing {@code codec}'s wire format. */
  public static <T extends SpecificRecordBase> RecordSink<T> builder(WireCodec<T> codec) {
    return new RecordSink<>(codec);
  }

  public RecordSink<T> bootstrapServers(String servers) {
    this.bootstrapServers = servers;
    return this;
  }

  public RecordSink<T> topic(String topic) {
    this.topic = topic;
    return this;
  }

  /** Kafka key of each record (UTF-8); records of one stream land in one partition, in order. */
  public RecordSink<T> key(SerializableFunction<T, String> key) {
    this.key = key;
    return this;
  }

  public RecordSink<T> exactlyOnce(String transactionalIdPrefix) {
    this.guarantee = DeliveryGuarantee.EXACTLY_ONCE;
    this.transactionalIdPrefix = transactionalIdPrefix;
    return this;
  }

  public RecordSink<T> atLeastOnce() {
    this.guarantee = DeliveryGuarantee.AT_LEAST_ONCE;
    this.transactionalIdPrefix = null;
    return this;
  }

  public RecordSink<T> transactionTimeout(Duration timeout) {
    this.transactionTimeout = timeout;
    return this;
  }

  /**
   * Standard Kafka client settings (security.protocol, ssl.*, sasl.*, ...), applied last.
   * {@link #build()} refuses those that contradict the sink's delivery guarantee: a different
   * transaction.timeout.ms, any transactional.id, acks other than all, and (exactly-once)
   * enable.idempotence=false.
   */
  public RecordSink<T> clientProperties(Properties properties) {
    this.clientProperties.putAll(properties);
    return this;
  }

  public KafkaSink<T> build() {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers are required");
    }
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("a topic is required");
    }
    if (key == null) {
      throw new IllegalArgumentException("a key function is required (the stream id for data topics)");
    }
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE
        && (transactionalIdPrefix == null || transactionalIdPrefix.isBlank())) {
      throw new IllegalArgumentException("exactly-once needs a transactional id prefix unique to this sink");
    }
    if (transactionTimeout == null || transactionTimeout.isNegative() || transactionTimeout.isZero()
        || transactionTimeout.compareTo(Duration.ofMinutes(15)) > 0) {
      throw new IllegalArgumentException("transaction timeout must be positive and within the broker"
          + " default maximum of 15 min, got " + transactionTimeout);
    }
    refuseContradictingClientProperties();
    Properties producer = new Properties();
    producer.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(transactionTimeout.toMillis()));
    // the client's default since Kafka 3.0, pinned: a leader failover must not lose acknowledged records
    producer.put(ProducerConfig.ACKS_CONFIG, "all");
    producer.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    producer.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(2 * 1024 * 1024));
    producer.putAll(clientProperties);
    var builder = KafkaSink.<T>builder()
        .setBootstrapServers(bootstrapServers)
        .setRecordSerializer(new Serializer<>(topic, codec, key))
        .setDeliveryGuarantee(guarantee)
        .setKafkaProducerConfig(producer);
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      builder.setTransactionalIdPrefix(transactionalIdPrefix);
    }
    return builder.build();
  }

  private void refuseContradictingClientProperties() {
    long timeoutMs = transactionTimeout.toMillis();
    ClientOverrides.refuseUnless(clientProperties, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
        v -> v.equals(String.valueOf(timeoutMs)),
        "the sink's transaction timeout is " + timeoutMs + " ms, validated against the broker maximum;"
            + " set " + KafkaOptions.TRANSACTION_TIMEOUT.key() + " instead");
    ClientOverrides.refuseUnless(clientProperties, ProducerConfig.TRANSACTIONAL_ID_CONFIG, v -> false,
        "exactly-once sinks derive one transactional id per subtask from their prefix ("
            + KafkaOptions.TRANSACTIONAL_ID_PREFIX.key() + "); a fixed one would fence the subtasks"
            + " against each other, or make an at-least-once producer transactional");
    ClientOverrides.refuseUnless(clientProperties, ProducerConfig.ACKS_CONFIG, v -> v.equals("all") || v.equals("-1"),
        "the sink's " + guarantee + " delivery needs acks=all, or a leader failover loses acknowledged records");
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      ClientOverrides.refuseUnless(clientProperties, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"::equalsIgnoreCase,
          "Kafka transactions, which exactly-once delivery rests on, need an idempotent producer");
    }
  }

  private static final class Serializer<T extends SpecificRecordBase>
      implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;
    private final String topic;
    private final WireCodec<T> codec;
    private final SerializableFunction<T, String> key;

    Serializer(String topic, WireCodec<T> codec, SerializableFunction<T, String> key) {
      this.topic = topic;
      this.codec = codec;
      this.key = key;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
      codec.prepareWrite(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
      String k = key.apply(element);
      return new ProducerRecord<>(topic, null, kafkaTimestamp(timestamp),
          k == null ? null : k.getBytes(StandardCharsets.UTF_8), codec.encode(topic, element));
    }
  }

  /**
   * The Kafka timestamp for a record with Flink timestamp {@code flinkTimestamp}: the same, or
   * none (the producer's clock) when it is not a real time. Records that timers emit at the end
   * of a bounded input carry {@code Long.MAX_VALUE}, which the broker rejects as out of range and
   * which would fail the job's last transaction.
   */
  public static Long kafkaTimestamp(Long flinkTimestamp) {
    return flinkTimestamp == null || flinkTimestamp < 0 || flinkTimestamp == Long.MAX_VALUE ? null : flinkTimestamp;
  }
}
