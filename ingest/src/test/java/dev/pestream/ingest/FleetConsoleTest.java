package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Status lines per stream, and what a stream's status computes from its chunks. */
class FleetConsoleTest {
  private static IngestSummary run(long chunks, long bytes, long mediaUs, int reconnects) {
    return new IngestSummary(chunks, bytes, 0, mediaUs, 1, reconnects, chunks, IngestSummary.End.SOURCE_ENDED);
  }

  @Test
  void aLineShowsStateLastChunkReconnectsBitrateLagAndError() {
    var s = new StreamStatus.Snapshot("cam-1", StreamStatus.State.RECONNECTING, "Connection refused", 41, 5_000_000, 2, 41,
        10_000, 1_230_000, 1.25);
    assertThat(FleetConsole.line(s, 10_400)).isEqualTo(
        "cam-1            reconnecting seq 41      last chunk 0.4 s ago   reconnects 2      1.23 Mbit/s  behind 1.3 s"
            + "  Connection refused");
    var fresh = new StreamStatus.Snapshot("new", StreamStatus.State.CONNECTING, null, 0, 0, 0, 0, 0, 0, Double.NaN);
    assertThat(FleetConsole.line(fresh, 10_400)).contains("last chunk -").contains("behind -").doesNotEndWith(" ");
  }

  @Test
  void plainLinesOffATerminalAndARedrawnBlockOnOne() {
    var s = new StreamStatus.Snapshot("a", StreamStatus.State.STREAMING, null, 1, 1, 0, 1, 1, 0, 0);
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    FleetConsole log = new FleetConsole(new PrintStream(plain, true, StandardCharsets.UTF_8), false);
    log.draw(List.of(s, s), 1_000);
    log.draw(List.of(s, s), 2_000);
    assertThat(plain.toString(StandardCharsets.UTF_8)).doesNotContain("\033").matches("(?s)(\\d\\d:\\d\\d:\\d\\d a .*\n){4}");

    ByteArrayOutputStream tty = new ByteArrayOutputStream();
    FleetConsole terminal = new FleetConsole(new PrintStream(tty, true, StandardCharsets.UTF_8), true);
    terminal.draw(List.of(s, s), 1_000);
    terminal.event("b: source dropped");
    terminal.draw(List.of(s, s), 2_000);
    String out = tty.toString(StandardCharsets.UTF_8);
    assertThat(out).contains("\033[2F\033[J").as("the event replaces the block, which is drawn again below it")
        .containsPattern("\033\\[2F\033\\[J\\d\\d:\\d\\d:\\d\\d b: source dropped\na ");
  }

  @Test
  void statusCountsAcrossRunsAndMeasuresBitrateAndLag() throws Exception {
    StreamStatus status = new StreamStatus("a", 0);
    status.beginRun();
    long t0 = System.nanoTime();
    status.sample(t0);
    status.chunk(run(1, 125_000, 1_000_000, 0));
    status.chunk(run(2, 250_000, 2_000_000, 0));
    status.sample(t0 + 2_000_000_000L);
    StreamStatus.Snapshot s = status.snapshot(System.nanoTime());
    assertThat(s.bitsPerSecond()).as("250 kB in 2 s").isEqualTo(1_000_000.0);
    assertThat(s.behindSeconds()).as("the second chunk came at once: no later than the pace so far").isBetween(0.0, 0.5);
    status.reconnecting("dropped");
    assertThat(status.snapshot(System.nanoTime()).reconnects()).isEqualTo(1);
    status.beginRun(); // a restart: totals go on
    status.chunk(run(1, 100, 1_000_000, 0));
    s = status.snapshot(System.nanoTime());
    assertThat(s.chunks()).isEqualTo(3);
    assertThat(s.bytes()).isEqualTo(250_100);
    assertThat(s.reconnects()).isEqualTo(1);
    assertThat(s.state()).isEqualTo(StreamStatus.State.STREAMING);
    assertThat(s.error()).isNull();
    status.ended(StreamStatus.State.STOPPED, null);
    assertThat(status.snapshot(System.nanoTime()).behindSeconds()).isNaN();
  }
}
