package dev.pestream.tests.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pestream.jobs.cli.PestreamCli;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code pestream demo}, run in-process exactly as a user runs it
 * (its own Kafka broker and local MiniCluster), with captions from a stand-in PLM server: it exits
 * 0, says it runs the contract bundle, and its report holds the events the sample clips were made
 * with (DemoSamples: tones at 4.0-6.5 s and 13-16 s, colour changes at 10 s and 12 s).
 */
@ExtendWith(KafkaClientLeakCheck.class)
class DemoITCase {
  private static final long SECOND = 1_000_000;

  @TempDir Path dir;

  @Test
  void demoRunsEndToEndAndItsReportHoldsTheSampleEvents() throws Exception {
    Path report = dir.resolve("report.json");
    String printed;
    int exit;
    try (FakePlmServer plm = FakePlmServer.start(new FakePlmServer.Expectations("facebook/Perception-LM-1B", null, 448, 32))) {
      PrintStream original = System.out;
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      try {
        exit = PestreamCli.run("demo", "--report", report.toString(), "--work-dir", dir.resolve("work").toString(),
            "--plm-endpoint", plm.baseUrl());
      } finally {
        System.setOut(original);
      }
      printed = captured.toString(StandardCharsets.UTF_8);
      System.out.println(printed);
      assertThat(plm.violations()).isEmpty();
      assertThat(plm.requestCount()).isEqualTo(4);
    }

    assertThat(exit).isZero();
    assertThat(printed).contains("the CONTRACT bundle").contains("NOT").contains("Captions: PLM at")
        .contains("Summary per stream").contains("street-cam").contains("lobby-cam");

    JsonNode root = new ObjectMapper().readTree(report.toFile());
    assertThat(root.at("/about/contractBundle").asBoolean()).isTrue();
    assertThat(root.at("/about/note").asText()).contains("not real Perception Encoder output");

    List<JsonNode> spans = records(root, "spans").stream().filter(s -> s.get("state").asText().equals("CLOSED")).toList();
    assertSpan(spans, "street-cam", "beep", 4.0, 6.5);
    assertSpan(spans, "street-cam", "hum", 13.0, 16.0);
    assertSpan(spans, "lobby-cam", "beep", 14.2, 15.0);
    assertSpan(spans, "street-cam", "beep-alarm", 4.0, 6.5);

    List<JsonNode> alerts = records(root, "alerts");
    assertThat(alerts).extracting(a -> a.get("streamId").asText() + "/" + a.get("ruleId").asText())
        .containsExactlyInAnyOrder("street-cam/beep-alarm", "lobby-cam/beep-alarm");

    assertThat(tagChanges(root, "street-cam")).containsExactly("ADDED red", "REMOVED red", "ADDED blue");
    assertThat(tagChanges(root, "lobby-cam")).containsExactly("ADDED yellow", "REMOVED yellow", "ADDED red");

    // 20 s per stream: windows of 10 s every 2 s, 6 complete and 4 truncated at the end, 3 modalities
    assertThat(records(root, "embeddings")).hasSize(2 * 10 * 3);
    List<JsonNode> captions = records(root, "captions");
    assertThat(captions).hasSize(4).allSatisfy(c -> assertThat(c.get("status").asText()).isEqualTo("OK"));
    assertThat(records(root, "dead-letters")).isEmpty();
  }

  /**
   * Chunks above Kafka's inline limit (an HD camera at 6 Mbit/s) are claim-checked into the demo's
   * work folder and read back by the job: here 96 kHz 7.1 noise, whose 1 s FLAC chunks (~1.5 MB)
   * cannot be compressed under the limit.
   */
  @Test
  void chunksAboveTheInlineLimitAreClaimChecked() throws Exception {
    Path clip = dir.resolve("loud-room.wav");
    writeNoiseWav(clip, 96_000, 8, 4);
    Path work = dir.resolve("work-large");
    Path report = dir.resolve("large.json");
    int exit = PestreamCli.run("demo", "--input", clip.toString(), "--report", report.toString(),
        "--work-dir", work.toString());

    assertThat(exit).isZero();
    List<Path> blobs;
    try (var files = Files.walk(work.resolve("blobs"))) {
      blobs = files.filter(f -> f.toString().endsWith(".chunk")).toList();
    }
    assertThat(blobs).as("claim-checked chunks").hasSize(4)
        .allSatisfy(b -> assertThat(Files.size(b)).isGreaterThan(1_000_000));
    JsonNode root = new ObjectMapper().readTree(report.toFile());
    assertThat(records(root, "embeddings")).isNotEmpty()
        .allSatisfy(e -> assertThat(e.get("streamId").asText()).isEqualTo("loud-room"));
    assertThat(records(root, "dead-letters")).isEmpty();
  }

  /** 16-bit PCM white noise (fixed seed). */
  private static void writeNoiseWav(Path file, int rate, int channels, int seconds) throws Exception {
    int dataBytes = rate * channels * 2 * seconds;
    ByteBuffer wav = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    wav.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes)
        .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) channels)
        .putInt(rate).putInt(rate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
    Random random = new Random(42);
    while (wav.hasRemaining()) {
      wav.putShort((short) random.nextInt(-12_000, 12_000));
    }
    Files.write(file, wav.array());
  }

  private static void assertSpan(List<JsonNode> spans, String stream, String promptId, double from, double to) {
    List<JsonNode> matching = spans.stream()
        .filter(s -> s.get("streamId").asText().equals(stream) && s.get("promptId").asText().equals(promptId)).toList();
    assertThat(matching).as("%s %s", stream, promptId).hasSize(1);
    JsonNode span = matching.get(0);
    assertThat(span.get("startUs").asLong()).isBetween((long) (from * SECOND) - 40_000, (long) (from * SECOND) + 40_000);
    assertThat(span.get("endUs").get("long").asLong()).isBetween((long) (to * SECOND) - 40_000, (long) (to * SECOND) + 60_000);
  }

  private static List<String> tagChanges(JsonNode root, String stream) {
    return records(root, "tags").stream().filter(t -> t.get("streamId").asText().equals(stream))
        .map(t -> t.get("action").asText() + " " + t.get("tag").asText()).toList();
  }

  private static List<JsonNode> records(JsonNode root, String topic) {
    return new ArrayList<>(StreamSupport.stream(root.at("/topics/" + topic + "/records").spliterator(), false).toList());
  }
}
