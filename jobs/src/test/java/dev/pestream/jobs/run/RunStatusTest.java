package dev.pestream.jobs.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunStatusTest {

  @Test
  void theStatusLineShowsInputLagOutputsAndDeadLetters() {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("embeddings", 300L);
    out.put("spans", 2L);
    out.put("alerts", 0L);
    String line = RunStatus.format(Duration.ofSeconds(80), new RunStatus.Figures(1200, 40, out, 1));
    assertThat(line).isEqualTo(
        "[0:01:20] chunks in 1200 (lag 40) | out: embeddings 300, spans 2, alerts 0 | dead letters 1");
  }

  @Test
  void theClockCountsHours() {
    String line = RunStatus.format(Duration.ofSeconds(3 * 3600 + 5), new RunStatus.Figures(0, 0, Map.of("tags", 7L), 0));
    assertThat(line).startsWith("[3:00:05] chunks in 0 (lag 0) | out: tags 7 |");
  }
}
