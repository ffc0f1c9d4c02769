package dev.pestream.console;

import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.schemas.codec.RecordDecodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and changes alert rules and tag vocabularies on the job's compacted control topics (key =
 * id; a delete is a tombstone), which the running job follows: a rule put here fires on the next
 * matching sound. The topic is the only state: a list reads it from the start to its end.
 */
public final class ControlTopicClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlTopicClient.class);
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final Properties client;
  private final String rulesTopic;
  private final String vocabulariesTopic;
  private final KafkaProducer<byte[], byte[]> producer;
  private final WireCodec<AlertRule> rules;
  private final WireCodec<TagVocabulary> vocabularies;

  /**
   * {@code client}: bootstrap servers and any standard Kafka client settings (security);
   * {@code format}: the job's framing, which changes are written in (both are read).
   */
  public ControlTopicClient(Properties client, String rulesTopic, String vocabulariesTopic, RecordFormat format) {
    this.client = client;
    this.rules = format.codec(AlertRule.class);
    this.vocabularies = format.codec(TagVocabulary.class);
    this.rulesTopic = rulesTopic;
    this.vocabulariesTopic = vocabulariesTopic;
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public List<AlertRule> rules() {
    return live(rulesTopic, rules).values().stream().filter(r -> !r.getDeleted()).toList();
  }

  public List<TagVocabulary> vocabularies() {
    return live(vocabulariesTopic, vocabularies).values().stream().filter(v -> !v.getDeleted()).toList();
  }

  public void put(AlertRule rule) {
    send(rulesTopic, rule.getRuleId(), rules.encode(rulesTopic, rule));
  }

  public void put(TagVocabulary vocabulary) {
    send(vocabulariesTopic, vocabulary.getVocabularyId(), vocabularies.encode(vocabulariesTopic, vocabulary));
  }

  /** Deletes rule {@code id}; false if there was none. */
  public boolean deleteRule(String id) {
    return delete(rulesTopic, id, rules().stream().anyMatch(r -> r.getRuleId().equals(id)));
  }

  public boolean deleteVocabulary(String id) {
    return delete(vocabulariesTopic, id, vocabularies().stream().anyMatch(v -> v.getVocabularyId().equals(id)));
  }

  private boolean delete(String topic, String id, boolean exists) {
    if (exists) {
      send(topic, id, null);
    }
    return exists;
  }

  private void send(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value))
          .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Kafka did not take the change on " + topic + ": " + e.getMessage(), e);
    }
  }

  /** The last value per key from the start of {@code topic} to its current end (tombstones remove). */
  private <T extends SpecificRecordBase> Map<String, T> live(String topic, WireCodec<T> codec) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, T> live = new LinkedHashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic, READ_TIMEOUT).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end within " + READ_TIMEOUT.toSeconds() + " s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          String key = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            live.remove(key);
            continue;
          }
          try {
            live.put(key, codec.decode(r.value()));
          } catch (RecordDecodingException | RuntimeException e) {
            // an unknown schema id or an unreachable registry too: the rest of the topic still lists
            LOG.warn("skipping an unreadable record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
          }
        }
      }
    }
    return live;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
