package dev.pestream.ingest;

import dev.pestream.connectors.blob.BlobException;
import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Turns chunks into {@link MediaChunk} records and sends them to Kafka (key = stream id, value =
 * {@link RecordCodec} single-object encoding, or the schema-registry wire format after {@link
 * #writeIn}). Sequence numbers start at {@code firstSeq} and
 * increase by one per chunk. A chunk larger than {@code inlineMaxBytes} is written to the blob
 * store first and the record carries its URI, SHA-256 and length (claim check). Sends are
 * asynchronous; the first delivery failure is raised by the next {@link #publish} or {@link
 * #flush}. Usable in-process (the demo) as well as by the ingest command.
 */
public final class ChunkPublisher implements AutoCloseable {
  /** Default inline limit: comfortably under Kafka's default 1 MB message size. */
  public static final int DEFAULT_INLINE_MAX_BYTES = 900 * 1024;

  /** Record attribute naming the source (without credentials). */
  public static final String SOURCE_ATTRIBUTE = "source";


  private final Producer<byte[], byte[]> producer;
  private final boolean ownsProducer;
  private final String topic;
  private final String streamId;
  private final byte[] key;
  private final BlobStore blobs;
  private final int inlineMaxBytes;
  private final Map<String, String> attributes;
  private final AtomicReference<Exception> deliveryFailure = new AtomicReference<>();
  /** Records sent but not yet acknowledged (nor failed). */
  private final AtomicLong pending = new AtomicLong();
  /** When the broker last acknowledged a record, or when a send found nothing pending. */
  private final AtomicLong lastProgressNanos = new AtomicLong(System.nanoTime());
  private long nextSeq;
  private WireCodec<MediaChunk> codec = WireCodec.singleObject(RecordCodec.of(MediaChunk.class));

  /**
   * @param producer where records go ({@link #producerProperties} has suitable settings)
   * @param ownsProducer close the producer on {@link #close()}
   * @param blobs the claim-check store, or null to fail on chunks above the inline limit
   */
  public ChunkPublisher(
      Producer<byte[], byte[]> producer,
      boolean ownsProducer,
      String topic,
      String streamId,
      BlobStore blobs,
      int inlineMaxBytes,
      long firstSeq,
      Map<String, String> attributes) {
    this.producer = Objects.requireNonNull(producer, "producer");
    this.ownsProducer = ownsProducer;
    this.topic = requireText(topic, "topic");
    this.streamId = requireText(streamId, "stream id");
    this.key = streamId.getBytes(StandardCharsets.UTF_8);
    this.blobs = blobs;
    if (inlineMaxBytes < 1) {
      throw new IllegalArgumentException("inlineMaxBytes must be positive");
    }
    this.inlineMaxBytes = inlineMaxBytes;
    if (firstSeq < 0) {
      throw new IllegalArgumentException("firstSeq must not be negative");
    }
    this.nextSeq = firstSeq;
    this.attributes = Map.copyOf(attributes);
  }

  /**
   * A publisher with its own {@link KafkaProducer} for {@code bootstrapServers}; {@code
   * outageMillis} bounds how long a record may wait for an unreachable broker (see {@link
   * #producerProperties}).
   */
  public static ChunkPublisher create(
      String bootstrapServers,
      long outageMillis,
      String topic,
      String streamId,
      BlobStore blobs,
      int inlineMaxBytes,
      long firstSeq,
      Map<String, String> attributes) {
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            producerProperties(bootstrapServers, inlineMaxBytes, outageMillis),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    return new ChunkPublisher(producer, true, topic, streamId, blobs, inlineMaxBytes, firstSeq, attributes);
  }

  /**
   * Writes the records in {@code format} from now on. For the registry format the MediaChunk schema
   * is registered (or looked up) now, so an unreachable registry or a refused schema is reported
   * before the first chunk is read.
   */
  public ChunkPublisher writeIn(RecordFormat format) throws PublishException {
    WireCodec<MediaChunk> wire = format.codec(RecordCodec.of(MediaChunk.class));
    try {
      wire.prepareWrite(topic);
    } catch (IllegalStateException e) {
      throw new PublishException(PublishException.Kind.SCHEMA_REGISTRY, e.getMessage(), e);
    }
    this.codec = wire;
    return this;
  }

  /** Shortest outage bound: a record needs room for one request timeout and the linger. */
  public static final long MIN_OUTAGE_MILLIS = 30_000;

  /**
   * Producer settings for media chunks: idempotent with all replicas (a record retried through a
   * broker outage lands once and in order), room for the largest inline record, and a record may
   * wait {@code outageMillis} for the broker, buffered or blocked, before it fails.
   */
  public static Properties producerProperties(String bootstrapServers, int inlineMaxBytes, long outageMillis) {
    if (outageMillis < MIN_OUTAGE_MILLIS) {
      throw new IllegalArgumentException("the broker outage bound must be at least 30 s, got " + outageMillis + " ms");
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Math.max(1 << 20, inlineMaxBytes + 64 * 1024)));
    // a full buffer blocks the reader (not an error) for as long as a record may wait
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(outageMillis));
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "25000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(outageMillis));
    return p;
  }

  /**
   * How long records have been waiting for Kafka without any acknowledgement, in milliseconds;
   * 0 while nothing is pending. Safe to call from another thread.
   */
  public long stalledMillis() {
    return pending.get() == 0 ? 0 : (System.nanoTime() - lastProgressNanos.get()) / 1_000_000;
  }

  /** Records sent but not acknowledged yet (buffered in the producer or in flight). */
  public long pendingRecords() {
    return pending.get();
  }

  /** The sequence number the next chunk gets. */
  public long nextSeq() {
    return nextSeq;
  }

  /** Sends {@code chunk} as the next record of the stream; returns the record sent. */
  public MediaChunk publish(ChunkData chunk) throws PublishException {
    raiseDeliveryFailure();
    MediaChunk record = toRecord(chunk, nextSeq, Instant.now());
    byte[] value = codec.encode(topic, record);
    if (pending.getAndIncrement() == 0) {
      lastProgressNanos.set(System.nanoTime());
    }
    try {
      producer.send(
          new ProducerRecord<>(topic, key, value),
          (metadata, error) -> {
            pending.decrementAndGet();
            if (error != null) {
              deliveryFailure.compareAndSet(null, error);
            } else {
              lastProgressNanos.set(System.nanoTime());
            }
          });
    } catch (RuntimeException e) {
      pending.decrementAndGet();
      throw new PublishException(PublishException.Kind.KAFKA, kafkaMessage(e), e);
    }
    nextSeq++;
    return record;
  }

  /** The record for {@code chunk}: inline, or claim-checked when above the inline limit. */
  MediaChunk toRecord(ChunkData chunk, long seq, Instant now) throws PublishException {
    Object payload;
    if (chunk.bytes().length > inlineMaxBytes) {
      if (blobs == null) {
        throw new PublishException(
            PublishException.Kind.BLOB_STORE,
            "chunk of " + chunk.bytes().length + " bytes exceeds the inline limit and no blob store is set",
            null);
      }
      try {
        payload = blobs.put(streamId, chunk.bytes());
      } catch (BlobException e) {
        throw new PublishException(PublishException.Kind.BLOB_STORE, e.getMessage(), e);
      }
    } else {
      payload = ByteBuffer.wrap(chunk.bytes());
    }
    return MediaChunk.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setKind(chunk.kind())
        .setContainer(chunk.container())
        .setAudioCodec(chunk.audioCodec())
        .setVideoCodec(chunk.videoCodec())
        .setStartUs(chunk.startUs())
        .setDurationUs(chunk.durationUs())
        .setIngestTimeMs(now)
        .setDiscontinuity(chunk.discontinuity())
        .setPayload(payload)
        .setAttributes(new HashMap<>(attributes))
        .build();
  }

  /** Waits until every record sent so far is acknowledged; raises a delivery failure. */
  public void flush() throws PublishException {
    try {
      producer.flush();
    } catch (RuntimeException e) {
      throw new PublishException(PublishException.Kind.KAFKA, kafkaMessage(e), e);
    }
    raiseDeliveryFailure();
  }

  private void raiseDeliveryFailure() throws PublishException {
    Exception failure = deliveryFailure.get();
    if (failure != null) {
      throw new PublishException(PublishException.Kind.KAFKA, kafkaMessage(failure), failure);
    }
  }

  private String kafkaMessage(Exception e) {
    return "cannot deliver to Kafka topic " + topic + ": " + e.getMessage();
  }

  private static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    return value;
  }

  @Override
  public void close() {
    if (ownsProducer) {
      producer.close(java.time.Duration.ofSeconds(10));
    }
  }
}
