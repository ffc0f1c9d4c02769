package dev.pestream.jobs;

import dev.pestream.connectors.kafka.KafkaInputSource;
import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.connectors.kafka.KafkaTopics;
import dev.pestream.connectors.kafka.RecordSink;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.operators.captions.CaptionOptions;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.codec.RecordCodec;
import java.util.List;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.util.function.SerializableFunction;

/**
 * The job's Kafka sources and sinks, from configuration: topics, bootstrap servers, the standard
 * client security settings ({@code kafka.client.*}), exactly-once for embeddings, spans, tags,
 * captions and dead letters, at-least-once for alerts (visible without waiting for a checkpoint);
 * records framed as {@code records.wire-format} says.
 */
public final class KafkaEndpoints {
  private KafkaEndpoints() {}

  public static PerceptionJob.Inputs inputs(JobConfig config) {
    Configuration c = config.flink();
    return new PerceptionJob.Inputs(
        source(config, c.get(PerceptionOptions.TOPIC_CHUNKS), c.get(PerceptionOptions.BOUNDED)),
        source(config, c.get(PerceptionOptions.TOPIC_ALERT_RULES), c.get(PerceptionOptions.BOUNDED)),
        source(config, c.get(PerceptionOptions.TOPIC_TAG_VOCABULARIES), c.get(PerceptionOptions.BOUNDED)));
  }

  public static PerceptionJob.Outputs outputs(JobConfig config) {
    Configuration c = config.flink();
    return new PerceptionJob.Outputs(
        exactlyOnce(config, c.get(PerceptionOptions.TOPIC_EMBEDDINGS), Embedding.class, Embedding::getStreamId),
        exactlyOnce(config, c.get(PerceptionOptions.TOPIC_SPANS), EventSpan.class, EventSpan::getStreamId),
        sink(config, c.get(PerceptionOptions.TOPIC_ALERTS), Alert.class, Alert::getStreamId).atLeastOnce().build(),
        exactlyOnce(config, c.get(PerceptionOptions.TOPIC_TAGS), TagEvent.class, TagEvent::getStreamId),
        CaptionOptions.settings(c).isPresent() ? captions(config) : null,
        exactlyOnce(config, c.get(PerceptionOptions.TOPIC_DEAD_LETTERS), DeadLetter.class, DeadLetter::getStreamId));
  }

  public static KafkaSink<Caption> captions(JobConfig config) {
    return exactlyOnce(config, config.get(PerceptionOptions.TOPIC_CAPTIONS), Caption.class, Caption::getStreamId);
  }

  /** Creates the job's topics if they are missing (data topics with {@code partitions}, control topics compacted). */
  public static void createTopics(JobConfig config, int partitions) {
    Configuration c = config.flink();
    List<KafkaTopics.Spec> specs = new java.util.ArrayList<>();
    for (var topic : List.of(PerceptionOptions.TOPIC_CHUNKS, PerceptionOptions.TOPIC_EMBEDDINGS,
        PerceptionOptions.TOPIC_SPANS, PerceptionOptions.TOPIC_ALERTS, PerceptionOptions.TOPIC_TAGS,
        PerceptionOptions.TOPIC_CAPTIONS, PerceptionOptions.TOPIC_DEAD_LETTERS)) {
      specs.add(new KafkaTopics.Spec(c.get(topic), partitions, false));
    }
    specs.add(new KafkaTopics.Spec(c.get(PerceptionOptions.TOPIC_ALERT_RULES), 1, true));
    specs.add(new KafkaTopics.Spec(c.get(PerceptionOptions.TOPIC_TAG_VOCABULARIES), 1, true));
    KafkaTopics.createIfMissing(c.get(KafkaOptions.BOOTSTRAP_SERVERS), config.kafkaClientProperties(), specs);
  }

  private static org.apache.flink.connector.kafka.source.KafkaSource<dev.pestream.connectors.kafka.KafkaInput> source(
      JobConfig config, String topic, boolean bounded) {
    Configuration c = config.flink();
    return KafkaInputSource.builder()
        .bootstrapServers(c.get(KafkaOptions.BOOTSTRAP_SERVERS))
        .topics(topic)
        .groupId(c.get(PerceptionOptions.GROUP_ID))
        .boundedAtLatest(bounded)
        .clientProperties(config.kafkaClientProperties())
        .build();
  }

  private static <T extends SpecificRecordBase> RecordSink<T> sink(
      JobConfig config, String topic, Class<T> type, SerializableFunction<T, String> key) {
    Configuration c = config.flink();
    Properties client = config.kafkaClientProperties();
    return RecordSink.builder(RecordFormat.from(c).codec(RecordCodec.of(type)))
        .bootstrapServers(c.get(KafkaOptions.BOOTSTRAP_SERVERS))
        .topic(topic)
        .key(key)
        .transactionTimeout(c.get(KafkaOptions.TRANSACTION_TIMEOUT))
        .clientProperties(client);
  }

  private static <T extends SpecificRecordBase> KafkaSink<T> exactlyOnce(
      JobConfig config, String topic, Class<T> type, SerializableFunction<T, String> key) {
    String prefix = config.get(KafkaOptions.TRANSACTIONAL_ID_PREFIX) + "-" + topic;
    return sink(config, topic, type, key).exactlyOnce(prefix).build();
  }
}
