package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class KafkaWaitReporterTest {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final IngestProgress progress = new IngestProgress(new PrintStream(output, true, StandardCharsets.UTF_8), false);
  private final AtomicLong stalled = new AtomicLong();

  @Test
  void saysKafkaIsBackWhenTheFlushDrainsItJustBeforeIngestionEnds() throws Exception {
    stalled.set(33_000);
    try (KafkaWaitReporter reporter = KafkaWaitReporter.start(stalled::get, () -> 2, "broker:9092", progress)) {
      awaitOutput("waiting for Kafka");
      // acknowledgements resume and ingestion ends within one poll of the reporter
      stalled.set(0);
    }
    assertThat(said()).isEqualTo("waiting for Kafka at broker:9092 (33 s; chunks buffered: 2)\nKafka is back (after 33 s)\n");
  }

  @Test
  void staysQuietThroughAShortStall() throws Exception {
    stalled.set(KafkaWaitReporter.QUIET_MILLIS - 1);
    try (KafkaWaitReporter reporter = KafkaWaitReporter.start(stalled::get, () -> 1, "broker:9092", progress)) {
      Thread.sleep(1_200);
      stalled.set(0);
    }
    assertThat(said()).isEmpty();
  }

  private void awaitOutput(String text) throws InterruptedException {
    for (int i = 0; i < 100 && !said().contains(text); i++) {
      Thread.sleep(50);
    }
    assertThat(said()).contains(text);
  }

  private String said() {
    return output.toString(StandardCharsets.UTF_8);
  }
}
