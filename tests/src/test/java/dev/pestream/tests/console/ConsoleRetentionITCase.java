package dev.pestream.tests.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.console.Console;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.models.ContractBundle;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.Poll;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A console that was away while retention removed embeddings it had not indexed yet: restarted,
 * it indexes what the topic still holds (instead of jumping to the newest record and missing
 * those too), each window once; restarted again with nothing new, it lists the stream with its
 * counts and last result from the index.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class ConsoleRetentionITCase {
  @TempDir Path scratch;

  @Test
  void aRestartedConsoleIndexesWhatRetentionLeft(KafkaTestClient kafka) throws Exception {
    Map<String, String> topics = kafka.newJobTopics("retention-", 1);
    String embeddings = topics.get("topics.embeddings");
    ConsoleSettings settings = ConsoleSettings.builder().bootstrapServers(kafka.bootstrapServers())
        .topics(JobTopicsForConsole.of(topics)).bundleDir(ContractBundle.materialize(scratch.resolve("bundle")))
        .indexDir(scratch.resolve("index")).port(0).commitInterval(Duration.ofMillis(200)).build();
    sendWindows(kafka, embeddings, 0, 10);
    try (Console console = Console.start(settings)) {
      ConsoleHttp http = new ConsoleHttp(console.url());
      Poll.until("the first 10 windows indexed", Duration.ofSeconds(30), () -> indexed(http), n -> n == 10);
    }

    sendWindows(kafka, embeddings, 10, 20);
    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin a = Admin.create(admin)) { // what retention does: windows 10 to 14 are gone before the console is back
      a.deleteRecords(Map.of(new TopicPartition(embeddings, 0), RecordsToDelete.beforeOffset(15))).all().get(30, TimeUnit.SECONDS);
    }

    try (Console console = Console.start(settings)) {
      ConsoleHttp http = new ConsoleHttp(console.url());
      Poll.until("the windows retention left indexed", Duration.ofSeconds(30), () -> indexed(http), n -> n >= 15);
      Thread.sleep(500);
      assertThat(indexed(http)).as("windows 0-9 from before, 15-19 after the gap, each once").isEqualTo(15);
      List<Long> starts = new ArrayList<>();
      http.ok("/api/search?q=beep&modality=audio&k=50").get("results").forEach(r -> starts.add(r.get("windowStartUs").asLong()));
      assertThat(starts).hasSize(15).doesNotContain(10L, 11L, 12L, 13L, 14L);
    }

    // with nothing new on the topic, a restarted console lists the stream from its index at once
    try (Console console = Console.start(settings)) {
      JsonNode cam = new ConsoleHttp(console.url()).ok("/api/streams").at("/streams/0");
      assertThat(cam.get("streamId").asText()).isEqualTo("cam");
      assertThat(cam.get("lastResultUs").asLong()).as("end of window 19").isEqualTo(20);
      assertThat(cam.at("/counts/embeddings.audio").asInt()).isEqualTo(15);
    }
  }

  /** Audio embeddings of the contract bundle for windows [from, to), window n starting at n µs. */
  private static void sendWindows(KafkaTestClient kafka, String topic, int from, int to) {
    RecordCodec<Embedding> codec = RecordCodec.of(Embedding.class);
    Random random = new Random(from);
    for (int n = from; n < to; n++) {
      List<Float> vector = new ArrayList<>(1024);
      for (int d = 0; d < 1024; d++) {
        vector.add((float) random.nextGaussian());
      }
      kafka.send(topic, "cam", codec.encode(ContractEmbeddings.audio("cam", n, n + 1, vector)));
    }
  }

  private static int indexed(ConsoleHttp http) {
    JsonNode status = http.ok("/api/status");
    return status.at("/indexed/audio").asInt();
  }
}
