package dev.pestream.operators.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.operators.decode.DecodedChunk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InjectFaultsTest {
  @TempDir Path markers;

  @Test
  void failsOnceOnEachChosenChunkAcrossRestartsAndPassesEverythingElse() throws Exception {
    FaultPoints points = FaultPoints.parse(List.of("cam:1:3", " mic-2:0 "), markers.toString());

    try (var first = open(points)) {
      first.processElement(chunk("cam:1", 2), 0);
      assertThatThrownBy(() -> first.processElement(chunk("cam:1", 3), 0))
          .isInstanceOf(InjectedFault.class).hasMessageContaining("cam:1:3").hasMessageContaining("testing.fail-on");
      assertThat(first.extractOutputValues()).extracting(c -> c.seq).containsExactly(2L);
    }
    // the "restarted" task replays the same chunks: the fired point passes now, the other one fires
    try (var second = open(points)) {
      second.processElement(chunk("cam:1", 2), 0);
      second.processElement(chunk("cam:1", 3), 0);
      second.processElement(chunk("mic-1", 0), 0);
      assertThatThrownBy(() -> second.processElement(chunk("mic-2", 0), 0)).isInstanceOf(InjectedFault.class);
      assertThat(second.extractOutputValues()).extracting(c -> c.streamId + "#" + c.seq)
          .containsExactly("cam:1#2", "cam:1#3", "mic-1#0");
    }
    try (var third = open(points)) {
      third.processElement(chunk("mic-2", 0), 0);
      assertThat(third.extractOutputValues()).hasSize(1);
    }
    try (var files = Files.list(markers)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(FaultPoints.markerName("cam:1", 3), FaultPoints.markerName("mic-2", 0));
    }
  }

  @Test
  void isOffUnlessBothOptionsAreSetAndRejectsMalformedPoints() {
    assertThat(FaultInjectionOptions.pointsFrom(new Configuration())).isEmpty();
    assertThat(FaultInjectionOptions.pointsFrom(Configuration.fromMap(Map.of(
        "testing.fail-on", "a:1;b:2", "testing.fault-markers", markers.toString()))))
        .hasValueSatisfying(p -> assertThat(p.chunkIds()).containsExactlyInAnyOrder("a:1", "b:2"));
    assertThatThrownBy(() -> FaultInjectionOptions.pointsFrom(Configuration.fromMap(Map.of("testing.fail-on", "a:1"))))
        .hasMessageContaining("testing.fault-markers");
    assertThatThrownBy(() -> FaultPoints.parse(List.of("a"), "/tmp")).hasMessageContaining("streamId:seq");
    assertThatThrownBy(() -> FaultPoints.parse(List.of("a:x"), "/tmp")).hasMessageContaining("numeric");
  }

  private static OneInputStreamOperatorTestHarness<DecodedChunk, DecodedChunk> open(FaultPoints points)
      throws Exception {
    var harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new InjectFaults(points)));
    harness.open();
    return harness;
  }

  private static DecodedChunk chunk(String streamId, long seq) {
    DecodedChunk c = new DecodedChunk();
    c.streamId = streamId;
    c.seq = seq;
    return c;
  }
}
