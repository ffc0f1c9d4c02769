package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.connectors.blob.BlobReader;
import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Record building and claim checks (delivery to a real broker is in IngestITCase). */
class ChunkPublisherTest {
  @TempDir Path dir;

  private KafkaProducer<byte[], byte[]> producer;

  @BeforeEach
  void producer() {
    // A real producer; nothing is sent in these tests, so no broker is contacted.
    producer = new KafkaProducer<>(
        ChunkPublisher.producerProperties("127.0.0.1:9", 1000, 30_000), new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterEach
  void close() {
    producer.close();
  }

  private static ChunkData chunk(int bytes) {
    byte[] b = new byte[bytes];
    new Random(bytes).nextBytes(b);
    return new ChunkData(b, "mpegts", MediaKind.AUDIO_VIDEO, "aac", "h264", 2_000_000, 1_000_000, true);
  }

  @Test
  void smallChunksGoInlineWithAllTheirFields() throws Exception {
    ChunkPublisher publisher =
        new ChunkPublisher(producer, false, "media", "cam-1", new BlobStore(dir.toUri()), 1000, 7, Map.of("source", "x.ts"));
    MediaChunk record = publisher.toRecord(chunk(1000), 7, Instant.ofEpochMilli(1234));
    assertThat(record.getStreamId()).isEqualTo("cam-1");
    assertThat(record.getSeq()).isEqualTo(7);
    assertThat(record.getKind()).isEqualTo(MediaKind.AUDIO_VIDEO);
    assertThat(record.getContainer()).isEqualTo("mpegts");
    assertThat(record.getAudioCodec()).isEqualTo("aac");
    assertThat(record.getVideoCodec()).isEqualTo("h264");
    assertThat(record.getStartUs()).isEqualTo(2_000_000);
    assertThat(record.getDurationUs()).isEqualTo(1_000_000);
    assertThat(record.getIngestTimeMs()).isEqualTo(Instant.ofEpochMilli(1234));
    assertThat(record.getDiscontinuity()).isTrue();
    assertThat(record.getAttributes()).containsEntry("source", "x.ts");
    assertThat(((ByteBuffer) record.getPayload()).remaining()).isEqualTo(1000);
    assertThat(publisher.nextSeq()).as("only publish() advances the sequence").isEqualTo(7);
  }

  @Test
  void largeChunksAreClaimCheckedAndReadBackVerified() throws Exception {
    ChunkPublisher publisher =
        new ChunkPublisher(producer, false, "media", "cam-1", new BlobStore(dir.toUri()), 1000, 0, Map.of());
    ChunkData big = chunk(1001);
    MediaChunk record = publisher.toRecord(big, 0, Instant.now());
    assertThat(record.getPayload()).isInstanceOf(BlobRef.class);
    BlobRef ref = (BlobRef) record.getPayload();
    assertThat(ref.getLength()).isEqualTo(1001);
    assertThat(new BlobReader(dir.toUri(), 1 << 20).payloadOf(record)).isEqualTo(big.bytes());
  }

  @Test
  void largeChunksWithoutABlobStoreFail() {
    ChunkPublisher publisher = new ChunkPublisher(producer, false, "media", "cam-1", null, 1000, 0, Map.of());
    assertThatThrownBy(() -> publisher.toRecord(chunk(5000), 0, Instant.now()))
        .isInstanceOfSatisfying(PublishException.class, e -> assertThat(e.kind()).isEqualTo(PublishException.Kind.BLOB_STORE))
        .hasMessageContaining("exceeds the inline limit");
  }

  @Test
  void validatesItsArguments() {
    assertThatThrownBy(() -> new ChunkPublisher(producer, false, "", "s", null, 10, 0, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ChunkPublisher(producer, false, "t", " ", null, 10, 0, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ChunkPublisher(producer, false, "t", "s", null, 0, 0, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ChunkPublisher(producer, false, "t", "s", null, 10, -1, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
