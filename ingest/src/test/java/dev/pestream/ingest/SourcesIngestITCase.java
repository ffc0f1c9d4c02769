package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.Poll;
import dev.pestream.testing.flink.PrometheusScrape;
import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pestream ingest --sources} against a real broker and live HTTP MPEG-TS sources paced at
 * real time: good streams (one removed and one added by editing the file while running), one
 * that sends garbage, one that stalls, one whose server goes away. Every chunk of the good
 * streams is in Kafka in order without gaps, the bad ones report their errors without holding
 * the others up, a bad edit is refused, and stopping flushes the chunk each stream was cutting.
 */
class SourcesIngestITCase {
  private static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);
  private static final double CLIP_SECONDS = 16;
  private static final double HOLD_AT = 14.5;
  /** One frame at 25 fps: remuxed chunks start where the previous one ended, to the frame. */
  private static final long FRAME_US = 40_000;

  @TempDir Path dir;

  @Test
  void manyLiveSourcesInOneProcess() throws Exception {
    byte[] clip = SyntheticMedia.generate(SyntheticMedia.spec().container(SyntheticMedia.Container.MPEGTS)
        .duration(CLIP_SECONDS).gop(25).videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4), dir);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        PacedMediaServer media = new PacedMediaServer(clip, CLIP_SECONDS);
        PacedMediaServer vanishing = new PacedMediaServer(clip, CLIP_SECONDS)) {
      KafkaTestClient kafka = new KafkaTestClient(broker.bootstrapServers());
      String topic = kafka.newTopic("fleet", 2);
      String hold = "?hold=" + HOLD_AT;
      Path sources = dir.resolve("sources.yaml");
      String common = """
          defaults:
            io-timeout: 2s
          sources:
            - stream-id: good-1
              url: %s
              io-timeout: 60s
            - stream-id: garbage
              url: %s
            - stream-id: stall
              url: %s
            - stream-id: gone
              url: %s
          """.formatted(media.url("/live/good-1" + hold), media.url("/garbage/garbage"), media.url("/stall/stall?after=3"),
          vanishing.url("/live/gone"));
      String good2Entry = "  - stream-id: good-2\n    url: " + media.url("/live/good-2" + hold) + "\n    io-timeout: 60s\n";
      String good3Entry = "  - stream-id: good-3\n    url: " + media.url("/live/good-3?hold=8.5") + "\n    io-timeout: 60s\n";
      Files.writeString(sources, common + good2Entry);

      ByteArrayOutputStream output = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
      AtomicBoolean stop = new AtomicBoolean();
      IngestCommand command = new IngestCommand(new ByteArrayInputStream(new byte[0]), out, new IngestProgress(out, false), stop);
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> new CommandLine(command).execute(
          "--sources", sources.toString(), "--topic", topic, "--bootstrap", broker.bootstrapServers(),
          "--metrics-port", "0", "--status-interval", "2s", "--reload-interval", "300ms",
          "--blob-dir", dir.resolve("blobs").toString()));
      long started;
      int port = Poll.until("metrics served", Duration.ofSeconds(20), command::metricsPort, p -> p > 0);
      URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
      Poll.until("streams started", Duration.ofSeconds(20), () -> output.toString(StandardCharsets.UTF_8),
          o -> o.contains("5 streams started"));
      started = System.nanoTime();

      sleepUntil(started, 5);
      Files.writeString(sources, common.replace("io-timeout: 2s", "io-timout: 2s") + good2Entry);
      Poll.until("the bad edit refused", Duration.ofSeconds(10), () -> output.toString(StandardCharsets.UTF_8),
          o -> o.contains("the edit is ignored"));
      sleepUntil(started, 7);
      vanishing.close();
      sleepUntil(started, 9);
      // good-2 removed, good-3 added, stall changed (restarted, its sequence and clock go on)
      Files.writeString(sources, common.replace("after=3", "after=4") + good3Entry);
      Poll.until("the good edit applied", Duration.ofSeconds(10), () -> output.toString(StandardCharsets.UTF_8),
          o -> o.contains("reloaded: 1 added, 1 changed, 1 removed, 3 unchanged"));
      double good2RemovedBy = (System.nanoTime() - started) / 1e9;
      // good-1 and good-3 reach their holds (14.5 s and 8.5 s of media, delivered at 1x)
      Poll.until("the good streams at their holds", Duration.ofSeconds(45), () -> PrometheusScrape.of(List.of(metrics)),
          m -> m.sum(FleetMetrics.NEXT_SEQ, l -> "good-1".equals(l.get(FleetMetrics.STREAM_LABEL))) >= 14
              && m.sum(FleetMetrics.NEXT_SEQ, l -> "good-3".equals(l.get(FleetMetrics.STREAM_LABEL))) >= 8);
      Poll.until("the half chunk past each hold sent", Duration.ofSeconds(10),
          () -> media.heldAt("good-1") && media.heldAt("good-3"), held -> held);
      TimeUnit.SECONDS.sleep(2); // and read by ingest

      PrometheusScrape scrape = PrometheusScrape.of(List.of(metrics));
      assertThat(state(scrape, "good-1")).isEqualTo("streaming");
      assertThat(state(scrape, "good-3")).isEqualTo("streaming");
      assertThat(state(scrape, "garbage")).isEqualTo("retrying");
      assertThat(scrape.sum(FleetMetrics.RECONNECTS, l -> "stall".equals(l.get(FleetMetrics.STREAM_LABEL)))).isGreaterThanOrEqualTo(1);
      assertThat(state(scrape, "gone")).isIn("reconnecting", "retrying");
      assertThat(scrape.samples(FleetMetrics.STATE, l -> "good-2".equals(l.get(FleetMetrics.STREAM_LABEL)))).as("removed")
          .isEmpty();
      assertThat(scrape.sum(FleetMetrics.CHUNKS, l -> "good-1".equals(l.get(FleetMetrics.STREAM_LABEL)))).isGreaterThanOrEqualTo(14);
      assertThat(scrape.sum(FleetMetrics.RECONNECTS, l -> "gone".equals(l.get(FleetMetrics.STREAM_LABEL)))).isGreaterThanOrEqualTo(1);
      assertThat(scrape.sum(FleetMetrics.BITRATE, l -> "good-3".equals(l.get(FleetMetrics.STREAM_LABEL)))).isPositive();

      stop.set(true); // what Ctrl-C / SIGTERM does
      assertThat(exit.get(30, TimeUnit.SECONDS)).as(output.toString(StandardCharsets.UTF_8)).isEqualTo(IngestExitCodes.OK);
      String log = output.toString(StandardCharsets.UTF_8);
      assertThat(log).contains("error: " + sources + ":2: unknown key 'io-timout' under 'defaults'")
          .containsPattern("garbage: .*(Invalid data|could not|cannot).*; retrying in")
          .containsPattern("stall: source dropped \\(.*\\); reconnect #1")
          .containsPattern("gone: source dropped \\(.*\\); reconnect #1")
          .containsPattern("good-1 +streaming +seq \\d+")
          .contains("stopped 5 streams");

      Map<String, List<MediaChunk>> streams = byStream(kafka.readCommittedSoFar(topic, Duration.ofSeconds(30)));
      assertThat(streams.keySet()).containsExactlyInAnyOrder("good-1", "good-2", "good-3", "stall", "gone");
      for (List<MediaChunk> chunks : streams.values()) {
        assertInOrderWithoutGaps(chunks);
      }
      // held at 14.5 s: 14 whole chunks, then the half chunk that only stopping flushes
      List<MediaChunk> good1 = streams.get("good-1");
      assertThat(good1.stream().map(MediaChunk::getSeq).toList()).hasSize(15);
      MediaChunk last = good1.get(14);
      assertThat(last.getStartUs()).as("starts at the keyframe at 14 s").isBetween(13_960_000L, 14_040_000L);
      assertThat(end(last)).as("the partial chunk flushed at stop").isBetween(14_100_000L, 14_600_000L);
      assertThat(streams.get("good-3").stream().map(MediaChunk::getSeq).toList()).hasSize(9);
      assertThat(end(streams.get("good-3").get(8))).isBetween(8_100_000L, 8_600_000L);
      // removed at ~9 s, from a source delivering at 1x: what was read is there, its last chunk flushed
      List<MediaChunk> good2 = streams.get("good-2");
      assertThat(end(good2.get(good2.size() - 1)) / 1e6).isBetween(4.0, good2RemovedBy + 1.5);
      assertThat(streams.get("gone").size()).as("chunks before its server went away").isBetween(3, 9);
      List<Boolean> stallMarks = streams.get("stall").stream().map(MediaChunk::getDiscontinuity).toList();
      assertThat(stallMarks).as("3 s of media per connection, the first chunk after each reconnect or restart marked")
          .startsWith(false, false, false, true);
      assertThat(streams.get("stall").stream().filter(c -> c.getAttributes().get(ChunkPublisher.SOURCE_ATTRIBUTE)
          .endsWith("after=4")).findFirst()).as("the changed stream's first chunk continues its sequence and clock")
          .hasValueSatisfying(c -> assertThat(c.getDiscontinuity()).isTrue());
      assertThat(media.connections("good-1")).as("never disturbed by the others or the edits").isEqualTo(1);
    }
  }

  private static String state(PrometheusScrape scrape, String stream) {
    return scrape.samples(FleetMetrics.STATE, l -> stream.equals(l.get(FleetMetrics.STREAM_LABEL))).stream()
        .filter(s -> s.value() == 1).map(s -> s.labels().get(FleetMetrics.STATE_LABEL)).findFirst().orElse("none");
  }

  private static Map<String, List<MediaChunk>> byStream(List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
    Map<String, List<MediaChunk>> streams = new LinkedHashMap<>();
    List<ConsumerRecord<byte[], byte[]>> ordered = new ArrayList<>(records);
    ordered.sort(Comparator.comparingInt((ConsumerRecord<byte[], byte[]> r) -> r.partition()).thenComparingLong(ConsumerRecord::offset));
    for (ConsumerRecord<byte[], byte[]> r : ordered) {
      MediaChunk chunk = CODEC.decode(r.value());
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(chunk.getStreamId());
      streams.computeIfAbsent(chunk.getStreamId(), id -> new ArrayList<>()).add(chunk);
    }
    return streams;
  }

  /** Sequence numbers 0, 1, 2, ... in Kafka order; each chunk starts where the last ended (or after, marked). */
  private static void assertInOrderWithoutGaps(List<MediaChunk> chunks) {
    for (int i = 0; i < chunks.size(); i++) {
      MediaChunk chunk = chunks.get(i);
      assertThat(chunk.getSeq()).as(chunk.getStreamId() + " seq").isEqualTo(i);
      if (i > 0) {
        long previousEnd = end(chunks.get(i - 1));
        if (chunk.getDiscontinuity()) {
          assertThat(chunk.getStartUs()).as(chunk.getStreamId() + " after a reconnect").isGreaterThanOrEqualTo(previousEnd);
        } else {
          assertThat(chunk.getStartUs()).as(chunk.getStreamId() + " chunk " + i + " follows on")
              .isBetween(previousEnd - FRAME_US, previousEnd + FRAME_US);
        }
      }
    }
  }

  private static long end(MediaChunk chunk) {
    return chunk.getStartUs() + chunk.getDurationUs();
  }

  private static void sleepUntil(long startedNanos, double seconds) throws InterruptedException {
    long left = startedNanos + (long) (seconds * 1e9) - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }
}
