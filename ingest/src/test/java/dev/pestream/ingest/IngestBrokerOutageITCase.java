package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.kafka.KafkaTopics;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ingest --realtime} while its only broker is stopped for 30 s, 5 s into a 40 s source, and
 * restarted on the same ports and data: ingest says it is waiting, the idempotent producer
 * retries what it buffered, and the topic holds every chunk once, in sequence order.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IngestBrokerOutageITCase {
  private static final int SECONDS = 40;
  private static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);

  @Test
  void everyChunkOnceAndInOrderThroughAThirtySecondOutage(@TempDir Path dir) throws Exception {
    Path clip = dir.resolve("clip.ts");
    Files.write(clip, SyntheticMedia.generate(
        SyntheticMedia.spec().container(Container.MPEGTS).noVideo().duration(SECONDS).tone(2, 3, 600), dir));
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      String topic = "media-outage";
      KafkaTopics.createIfMissing(broker.bootstrapServers(), new Properties(), List.of(new KafkaTopics.Spec(topic, 1, false)));
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
      long start = System.nanoTime();
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() ->
          new CommandLine(new IngestCommand(null, out, new IngestProgress(out, false), new AtomicBoolean()))
              .execute(clip.toString(), "--stream-id", "cam-outage", "--topic", topic, "--bootstrap",
                  broker.bootstrapServers(), "--realtime", "--blob-dir", dir.resolve("blobs").toString()));

      Thread.sleep(5_000);
      broker.stop();
      System.out.printf("[ingest-outage] %5.1f s broker stopped%n", seconds(start));
      Thread.sleep(30_000);
      broker.restart();
      System.out.printf("[ingest-outage] %5.1f s broker restarted%n", seconds(start));
      int code = exit.get(2, TimeUnit.MINUTES);
      System.out.printf("[ingest-outage] %5.1f s ingest exited with %d; it said:%n%s", seconds(start), code, output);

      List<Long> seqs = new KafkaTestClient(broker.bootstrapServers())
          .readCommittedRecordsSoFar(topic, CODEC, Duration.ofSeconds(30)).stream().map(MediaChunk::getSeq).toList();
      System.out.printf("[ingest-outage] %d records on the topic, seq %s..%s%n", seqs.size(),
          seqs.isEmpty() ? "-" : seqs.get(0), seqs.isEmpty() ? "-" : seqs.get(seqs.size() - 1));
      assertThat(code).isZero();
      String said = output.toString(StandardCharsets.UTF_8);
      assertThat(said).contains("waiting for Kafka at " + broker.bootstrapServers() + " (").contains("Kafka is back");
      Matcher ingested = Pattern.compile("ingested (\\d+) chunks").matcher(said);
      assertThat(ingested.find()).as("summary line").isTrue();
      assertThat(seqs).as("every chunk once, in order").hasSize(Integer.parseInt(ingested.group(1)))
          .hasSizeGreaterThanOrEqualTo(SECONDS - 1);
      for (int i = 0; i < seqs.size(); i++) {
        assertThat(seqs.get(i)).as("record %d", i).isEqualTo(i);
      }
    }
  }


  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
