package dev.pestream.testing.kafka;

import dev.pestream.connectors.kafka.KafkaTopics;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.schemas.codec.RecordDecodingException;
import dev.pestream.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Test-side Kafka access: random topics, producing raw bytes or records, read_committed reads. */
public final class KafkaTestClient {
  private final String bootstrapServers;

  public KafkaTestClient(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Creates a topic with a random name, so tests never see each other's records. */
  public String newTopic(String prefix, int partitions) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    KafkaTopics.createIfMissing(bootstrapServers, List.of(new KafkaTopics.Spec(name, partitions, false)));
    return name;
  }

  /**
   * New topics for every topic setting of the perception job ({@code topics.*} keys, names
   * starting with {@code prefix}): data topics with {@code partitions}, the control topics
   * compacted.
   */
  public Map<String, String> newJobTopics(String prefix, int partitions) {
    Map<String, String> topics = new LinkedHashMap<>();
    for (String t : List.of("chunks", "embeddings", "spans", "alerts", "tags", "captions", "dead-letters")) {
      topics.put("topics." + t, newTopic(prefix + t, partitions));
    }
    topics.put("topics.alert-rules", newCompactedTopic(prefix + "rules"));
    topics.put("topics.tag-vocabularies", newCompactedTopic(prefix + "vocabularies"));
    return topics;
  }

  public String newCompactedTopic(String prefix) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    KafkaTopics.createIfMissing(bootstrapServers, List.of(new KafkaTopics.Spec(name, 1, true)));
    return name;
  }

  public KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(2 * 1024 * 1024));
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Sends raw (key, value) pairs in order and waits until all are acknowledged; fails if the
   * broker refused any (a record the broker rejects must not vanish from a test silently).
   */
  public void sendRaw(String topic, List<byte[][]> keyValues) {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (byte[][] kv : keyValues) {
        acks.add(producer.send(new ProducerRecord<>(topic, kv[0], kv[1])));
      }
      producer.flush();
      for (Future<RecordMetadata> ack : acks) {
        ack.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending to " + topic, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the broker refused a record sent to " + topic + ": " + e.getCause(), e);
    }
  }

  /** Sends one record (key and value may be null) and waits until it is acknowledged. */
  public void send(String topic, String key, byte[] value) {
    sendRaw(topic, List.<byte[][]>of(new byte[][] {utf8(key), value}));
  }

  /** Sends chunks keyed by their stream id, in order. */
  public void sendChunks(String topic, List<MediaChunk> chunks) {
    sendRaw(topic, chunkRecords(chunks));
  }

  /** Chunks as the (key, value) pairs {@link #sendChunks} sends: stream id, encoded chunk. */
  public static List<byte[][]> chunkRecords(List<MediaChunk> chunks) {
    RecordCodec<MediaChunk> codec = RecordCodec.of(MediaChunk.class);
    List<byte[][]> records = new ArrayList<>();
    for (MediaChunk c : chunks) {
      records.add(new byte[][] {utf8(c.getStreamId()), codec.encode(c)});
    }
    return records;
  }

  /**
   * Sum over the partitions of {@code topic} of the offsets consumer group {@code groupId} has
   * committed (a Flink Kafka source commits them when a checkpoint completes); 0 before the first.
   */
  public long committedOffsets(String groupId, String topic) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    // closing waits for calls in flight until their API timeout (60 s by default): with a broker node
    // just killed, one slow lookup would otherwise hold every poll of a test for a minute
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    try (Admin admin = Admin.create(p)) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
          .mapToLong(e -> e.getValue().offset()).sum();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the offsets of group " + groupId + ": " + e, e);
    }
  }

  /** Waits until {@link #committedOffsets} reaches {@code atLeast}, e.g. a point of a stream's input. */
  public void awaitCommittedOffsets(String groupId, String topic, long atLeast, Duration timeout) {
    Poll.until(atLeast + " records of " + topic + " consumed by " + groupId + " (committed)", timeout,
        () -> committedOffsets(groupId, topic), n -> n >= atLeast);
  }

  public static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads every committed record of a topic (isolation.level=read_committed) until {@code
   * expected} records arrived and no more arrive for {@code quiet}, or {@code timeout} passes.
   * Returns what it read, so a test can assert on both missing and extra records.
   */
  public List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic, int expected, Duration quiet, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = readCommittedConsumer()) {
      fromTheBeginning(consumer, topic);
      long deadline = System.nanoTime() + timeout.toNanos();
      long lastArrival = System.nanoTime();
      while (System.nanoTime() < deadline) {
        var batch = consumer.poll(Duration.ofMillis(200));
        batch.forEach(records::add);
        if (!batch.isEmpty()) {
          lastArrival = System.nanoTime();
        }
        if (records.size() >= expected && System.nanoTime() - lastArrival >= quiet.toNanos()) {
          break;
        }
      }
    }
    return records;
  }

  /**
   * Every record of a topic committed by now (isolation.level=read_committed, each partition read
   * up to its last stable offset), without waiting for more: e.g. what a job stopped with a
   * savepoint has committed.
   */
  public List<ConsumerRecord<byte[], byte[]>> readCommittedSoFar(String topic, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = readCommittedConsumer()) {
      List<TopicPartition> partitions = fromTheBeginning(consumer, topic);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // read_committed: last stable offsets
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " up to " + ends + " within " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
            records.add(r);
          }
        }
      }
    }
    return records;
  }

  private KafkaConsumer<byte[], byte[]> readCommittedConsumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 * 1024 * 1024));
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static List<TopicPartition> fromTheBeginning(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
        .map(info -> new TopicPartition(topic, info.partition()))
        .collect(Collectors.toList());
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return partitions;
  }

  /** {@link #readCommitted} then decode each value with the codec (a failure fails the test). */
  public <T extends SpecificRecordBase> List<T> readCommittedRecords(
      String topic, RecordCodec<T> codec, int expected, Duration quiet, Duration timeout) {
    return decode(readCommitted(topic, expected, quiet, timeout), codec);
  }

  /** {@link #readCommittedSoFar} then decode each value with the codec (a failure fails the test). */
  public <T extends SpecificRecordBase> List<T> readCommittedRecordsSoFar(String topic, RecordCodec<T> codec,
      Duration timeout) {
    return decode(readCommittedSoFar(topic, timeout), codec);
  }

  private static <T extends SpecificRecordBase> List<T> decode(List<ConsumerRecord<byte[], byte[]>> records,
      RecordCodec<T> codec) {
    List<T> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      try {
        out.add(codec.decode(r.value()));
      } catch (RecordDecodingException e) {
        throw new AssertionError("output record at " + r.topic() + "/" + r.partition() + "@" + r.offset()
            + " is not a valid " + codec.type().getSimpleName() + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
