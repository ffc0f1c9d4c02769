package dev.pestream.connectors.kafka;

import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Builds the job's Kafka sources. They emit raw {@link KafkaInput}s and read committed data only,
 * so a producer's aborted transactions never reach the job; parsing into records (and
 * dead-lettering what does not parse) is {@link ParseRecords}'s job.
 */
public final class KafkaInputSource {
  private String bootstrapServers;
  private List<String> topics;
  private String groupId;
  private OffsetsInitializer startingOffsets = OffsetsInitializer.earliest();
  private boolean bounded;
  private final Properties clientProperties = new Properties();

  private KafkaInputSource() {}

  public static KafkaInputSource builder() {
    return new KafkaInputSource();
  }

  public KafkaInputSource bootstrapServers(String servers) {
    this.bootstrapServers = servers;
    return this;
  }

  public KafkaInputSource topics(String... topics) {
    this.topics = List.of(topics);
    return this;
  }

  public KafkaInputSource groupId(String groupId) {
    this.groupId = groupId;
    return this;
  }

  /** Where to start without a checkpoint. Default: earliest. */
  public KafkaInputSource startingOffsets(OffsetsInitializer offsets) {
    this.startingOffsets = offsets;
    return this;
  }

  /** Stop at the offsets that are latest when the job starts (tests, backfills). */
  public KafkaInputSource boundedAtLatest(boolean bounded) {
    this.bounded = bounded;
    return this;
  }

  /**
   * Standard Kafka client settings (security.protocol, ssl.*, sasl.*, ...), applied last. An
   * isolation.level other than read_committed is refused by {@link #build()}.
   */
  public KafkaInputSource clientProperties(Properties properties) {
    this.clientProperties.putAll(properties);
    return this;
  }

  public KafkaSource<KafkaInput> build() {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers are required");
    }
    if (topics == null || topics.isEmpty() || topics.stream().anyMatch(t -> t == null || t.isBlank())) {
      throw new IllegalArgumentException("at least one non-empty topic is required");
    }
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("a consumer group id is required");
    }
    ClientOverrides.refuseUnless(clientProperties, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"::equals,
        "the job reads committed data only (read_committed), so that records of aborted"
            + " transactions never reach it");
    var builder = KafkaSource.<KafkaInput>builder()
        .setBootstrapServers(bootstrapServers)
        .setTopics(topics)
        .setGroupId(groupId)
        .setStartingOffsets(startingOffsets)
        .setDeserializer(new KafkaInputDeserializer())
        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .setProperties(clientProperties);
    if (bounded) {
      builder.setBounded(OffsetsInitializer.latest());
    } else {
      builder.setProperty("partition.discovery.interval.ms", "10000");
    }
    return builder.build();
  }
}
