package dev.pestream.tests.support;

import static dev.pestream.tests.support.KafkaTestClient.utf8;

import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import dev.pestream.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Small MediaChunk fixtures and an exactly-once accounting of what a job wrote. */
public final class Chunks {
  public static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);

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

  /** Chunks {@code firstSeq..firstSeq+perStream-1} of {@code streams} streams, round-robin, in seq order per stream. */
  public static List<MediaChunk> interleaved(int streams, long firstSeq, int perStream) {
    List<MediaChunk> out = new ArrayList<>();
    for (long seq = firstSeq; seq < firstSeq + perStream; seq++) {
      for (int s = 0; s < streams; s++) {
        out.add(chunk("stream-" + s, seq));
      }
    }
    return out;
  }

  /** Kafka (key, value) pairs: key = stream id, value = the encoded chunk. */
  public static List<byte[][]> keyValues(Collection<MediaChunk> chunks) {
    return chunks.stream().map(c -> new byte[][] {utf8(c.getStreamId()), CODEC.encode(c)})
        .collect(Collectors.toCollection(ArrayList::new));
  }

  public static String id(MediaChunk chunk) {
    return chunk.getStreamId() + "#" + chunk.getSeq();
  }

  /** What a job wrote, held against what it was given: lost and duplicated chunk ids. */
  public record Accounting(int expected, int written, Set<String> lost, Map<String, Long> duplicated) {
    public static Accounting of(Collection<MediaChunk> expected, Collection<MediaChunk> written) {
      Map<String, Long> counts = written.stream()
          .collect(Collectors.groupingBy(Chunks::id, TreeMap::new, Collectors.counting()));
      Set<String> lost = expected.stream().map(Chunks::id).filter(id -> !counts.containsKey(id))
          .collect(Collectors.toCollection(java.util.TreeSet::new));
      Map<String, Long> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1)
          .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
      return new Accounting(expected.size(), written.size(), lost, duplicated);
    }

    public boolean exactlyOnce() {
      return lost.isEmpty() && duplicated.isEmpty() && written == expected;
    }

    @Override
    public String toString() {
      return "expected " + expected + ", written " + written + ", lost " + lost.size() + ", duplicated "
          + duplicated.size() + (lost.isEmpty() ? "" : " (lost e.g. " + first(lost) + ")")
          + (duplicated.isEmpty() ? "" : " (duplicated e.g. " + first(duplicated.keySet()) + ")");
    }

    private static String first(Collection<String> ids) {
      return ids.stream().limit(5).collect(Collectors.joining(", "));
    }
  }

  /** Chunks by id, for comparing written records with the originals. */
  public static Map<String, MediaChunk> byId(Collection<MediaChunk> chunks) {
    return chunks.stream().collect(Collectors.toMap(Chunks::id, Function.identity(), (a, b) -> a));
  }
}
