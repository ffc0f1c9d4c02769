package dev.pestream.console;

import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.codec.RecordDecodingException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two threads that follow the job's output topics (read_committed, so only what the job
 * committed): one feeds the embedding index and resumes where the index's last commit ends, the
 * other feeds the timelines and the live events, starting a horizon back in Kafka record time.
 * Consumers are assigned partitions (no group): the console's position lives in the index. Records
 * are read in both framings; a registry-framed one whose schema id the registry does not know, or
 * that arrives while the registry is unreachable, is skipped (logged and counted) like any unreadable record.
 * A follower that fails (a Kafka error such as a missing ACL) starts over after a backoff where it stood
 * ({@link #supervise}); the page keeps serving meanwhile.
 */
public final class Followers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Followers.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration META_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Properties client;
  private final ConsoleTopics topics;
  private final EmbeddingIndex index;
  private final EmbeddingCheck check;
  private final Timelines timelines;
  private final EventHub events;
  private final ConsoleCounters counters;
  private final Duration horizon;
  private final Duration commitInterval;
  private final RecordFormat format;
  private final List<KafkaConsumer<byte[], byte[]>> consumers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;
  private final CountDownLatch closed = new CountDownLatch(1);

  public Followers(Properties client, ConsoleTopics topics, EmbeddingIndex index, EmbeddingCheck check,
                   Timelines timelines, EventHub events, ConsoleCounters counters, Duration horizon,
                   Duration commitInterval, RecordFormat format) {
    this.client = client;
    this.topics = topics;
    this.index = index;
    this.check = check;
    this.timelines = timelines;
    this.events = events;
    this.counters = counters;
    this.horizon = horizon;
    this.commitInterval = commitInterval;
    this.format = format;
  }

  /** Assigns and positions both consumers (fails here if Kafka is unreachable), then starts the threads. */
  public void start() {
    KafkaConsumer<byte[], byte[]> embeddings = consumer();
    List<TopicPartition> embeddingPartitions = partitions(embeddings, List.of(topics.embeddings()));
    embeddings.assign(embeddingPartitions);
    Map<TopicPartition, Long> committed = index.committedOffsets();
    Map<TopicPartition, Long> firstKept = embeddings.beginningOffsets(embeddingPartitions, META_TIMEOUT);
    for (TopicPartition tp : embeddingPartitions) {
      Long offset = committed.get(tp);
      long first = firstKept.get(tp);
      if (offset != null && offset < first) {
        LOG.warn("{} no longer holds offsets {} to {} (removed by retention while the console was away): those"
            + " windows cannot be searched; indexing what the topic still holds", tp, offset, first - 1);
      }
      embeddings.seek(tp, offset == null ? first : Math.max(offset, first));
    }
    KafkaConsumer<byte[], byte[]> results = consumer();
    List<TopicPartition> resultPartitions = partitions(results, topics.timelineTopics());
    results.assign(resultPartitions);
    Map<TopicPartition, Long> since = new HashMap<>();
    long sinceMs = Instant.now().minus(horizon).toEpochMilli();
    resultPartitions.forEach(tp -> since.put(tp, sinceMs));
    Map<TopicPartition, OffsetAndTimestamp> starts = results.offsetsForTimes(since, META_TIMEOUT);
    Map<TopicPartition, Long> ends = results.endOffsets(resultPartitions, META_TIMEOUT);
    for (TopicPartition tp : resultPartitions) {
      OffsetAndTimestamp start = starts.get(tp);
      results.seek(tp, start == null ? ends.get(tp) : start.offset());
    }
    thread("console-index", () -> followEmbeddings(embeddings));
    thread("console-timelines", () -> followResults(results));
  }

  private void followEmbeddings(KafkaConsumer<byte[], byte[]> consumer) {
    try {
      supervise("index", () -> indexLoop(consumer), () -> {
        // what was added but not committed stays in the writer: go on after it
        Map<TopicPartition, Long> positions = index.positions();
        for (TopicPartition tp : consumer.assignment()) {
          Long next = positions.get(tp);
          if (next == null) {
            consumer.seekToBeginning(List.of(tp));
          } else {
            consumer.seek(tp, next);
          }
        }
      });
      index.commit();
    } catch (RuntimeException e) {
      LOG.error("the index could not commit while closing (its last additions are read again at the next start)", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void indexLoop(KafkaConsumer<byte[], byte[]> consumer) {
    WireCodec<Embedding> codec = format.codec(Embedding.class);
    long lastCommit = System.nanoTime();
    boolean uncommitted = false;
    while (running) {
      ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL);
      Map<String, Long> progress = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Embedding e = decode(codec, r);
        String problem = e == null ? "not a readable Embedding record" : check.problemWith(e).orElse(null);
        if (problem != null) {
          counters.embeddingsSkipped.incrementAndGet();
          LOG.warn("skipping the embedding at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), problem);
          index.advance(tp, r.offset() + 1);
        } else {
          index.add(e, tp, r.offset());
          counters.embeddingsIndexed.incrementAndGet();
          timelines.countEmbedding(e.getStreamId(), e.getModality(), e.getWindowEndUs());
          progress.merge(e.getStreamId(), e.getWindowEndUs(), Math::max);
        }
        uncommitted = true;
      }
      // a transaction marker or an aborted batch also moves the position: cover it too
      for (TopicPartition tp : consumer.assignment()) {
        index.advance(tp, consumer.position(tp));
      }
      if (!batch.isEmpty()) {
        index.refresh();
      }
      progress.forEach((stream, us) -> events.publish(EventHub.PROGRESS, stream, Map.of("lastResultUs", us)));
      if (uncommitted && System.nanoTime() - lastCommit >= commitInterval.toNanos()) {
        index.commit();
        lastCommit = System.nanoTime();
        uncommitted = false;
      }
    }
  }

  private void followResults(KafkaConsumer<byte[], byte[]> consumer) {
    // the next record to read of each partition, kept per record: a failure mid-batch resumes at the record it hit
    Map<TopicPartition, Long> next = new HashMap<>();
    try {
      supervise("timeline", () -> timelineLoop(consumer, next), () -> next.forEach(consumer::seek));
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void timelineLoop(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> next) {
    WireCodec<EventSpan> spans = format.codec(EventSpan.class);
    WireCodec<Alert> alerts = format.codec(Alert.class);
    WireCodec<TagEvent> tags = format.codec(TagEvent.class);
    WireCodec<Caption> captions = format.codec(Caption.class);
    long lastExpiry = System.nanoTime();
    while (running) {
      ConsumerRecords<byte[], byte[]> batch = consumer.poll(POLL);
      for (TopicPartition tp : batch.partitions()) {
        next.put(tp, batch.records(tp).get(0).offset());
      }
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        long at = r.timestamp();
        String topic = r.topic();
        boolean read;
        if (topic.equals(topics.spans())) {
          EventSpan s = decode(spans, r);
          read = s != null && publish(EventHub.SPAN, s.getStreamId(), timelines.add(s, at));
        } else if (topic.equals(topics.alerts())) {
          Alert a = decode(alerts, r);
          read = a != null && publish(EventHub.ALERT, a.getStreamId(), timelines.add(a, at));
        } else if (topic.equals(topics.tags())) {
          TagEvent t = decode(tags, r);
          read = t != null && publish(EventHub.TAG, t.getStreamId(), timelines.add(t, at));
        } else {
          Caption c = decode(captions, r);
          read = c != null && publish(EventHub.CAPTION, c.getStreamId(), timelines.add(c, at));
        }
        (read ? counters.timelineRecords : counters.timelineRecordsSkipped).incrementAndGet();
        next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
      }
      if (System.nanoTime() - lastExpiry > Duration.ofMinutes(1).toNanos()) {
        timelines.expire(Instant.now().minus(horizon).toEpochMilli());
        lastExpiry = System.nanoTime();
      }
    }
  }

  /**
   * Runs a follower's {@code loop} until the console closes. A failure (a Kafka error such as a
   * missing READ ACL or a lost authorization) is logged and counted,
   * and the loop starts over after a backoff, 1 s doubling to 30 s, at the position {@code
   * reposition} sets: the page keeps serving meanwhile and the follower heals once the cause is gone.
   */
  private void supervise(String name, Runnable loop, Runnable reposition) {
    long backoffMs = FIRST_BACKOFF.toMillis();
    while (running) {
      long started = System.nanoTime();
      try {
        loop.run();
        return;
      } catch (WakeupException e) {
        return; // closing
      } catch (RuntimeException e) {
        counters.followerRestarts.incrementAndGet();
        if (System.nanoTime() - started > MAX_BACKOFF.toNanos()) {
          backoffMs = FIRST_BACKOFF.toMillis(); // it ran well for a while: a new problem
        }
        LOG.error("the {} follower failed; it starts over in {} ms: {}", name, backoffMs, e.toString(), e);
      }
      try {
        if (closed.await(backoffMs, TimeUnit.MILLISECONDS)) {
          return;
        }
        reposition.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        counters.followerRestarts.incrementAndGet();
        LOG.error("the {} follower could not reposition; it tries again: {}", name, e.toString(), e);
      }
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF.toMillis());
    }
  }

  private boolean publish(String event, String streamId, Object item) {
    events.publish(event, streamId, item);
    return true;
  }

  private static <T extends org.apache.avro.specific.SpecificRecordBase> T decode(WireCodec<T> codec,
                                                                                  ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return null;
    }
    try {
      return codec.decode(r.value());
    } catch (RecordDecodingException | RuntimeException e) {
      LOG.warn("skipping an unreadable record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      return null;
    }
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // a console fallen behind retention goes on with the oldest record left, not with the newest
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumers.add(c);
    return c;
  }

  private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, List<String> names) {
    List<TopicPartition> out = new ArrayList<>();
    for (String topic : names) {
      var infos = consumer.partitionsFor(topic, META_TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist: start the job first (it creates its topics)"
            + " or create them with deploy/create-topics.sh");
      }
      infos.forEach(i -> out.add(new TopicPartition(topic, i.partition())));
    }
    return out;
  }

  private void thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    threads.add(t);
  }

  @Override
  public void close() {
    running = false;
    closed.countDown();
    consumers.forEach(KafkaConsumer::wakeup);
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (threads.isEmpty()) {
      consumers.forEach(c -> c.close(Duration.ofSeconds(1)));
    }
  }
}
