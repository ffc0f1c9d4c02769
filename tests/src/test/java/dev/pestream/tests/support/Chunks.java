package dev.pestream.tests.support;

import static dev.pestream.testing.kafka.KafkaTestClient.utf8;

import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import dev.pestream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Small MediaChunk fixtures and their Kafka records. */
public final class Chunks {
  private static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);

  private Chunks() {}

  /** A 1-second audio chunk with a few payload bytes and an {@code origin=test} attribute. */
  public static MediaChunk chunk(String streamId, long seq) {
    return MediaChunk.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setKind(MediaKind.AUDIO)
        .setContainer("wav")
        .setAudioCodec("pcm_s16le")
        .setStartUs(seq * 1_000_000L)
        .setDurationUs(1_000_000L)
        .setIngestTimeMs(Instant.now())
        .setPayload(ByteBuffer.wrap(new byte[] {(byte) seq, 1, 2, 3}))
        .setAttributes(Map.of("origin", "test"))
        .build();
  }

  /** Kafka (key, value) pairs: key = stream id, value = the encoded chunk. */
  public static List<byte[][]> keyValues(Collection<MediaChunk> chunks) {
    return chunks.stream().map(c -> new byte[][] {utf8(c.getStreamId()), CODEC.encode(c)})
        .collect(Collectors.toCollection(ArrayList::new));
  }
}
