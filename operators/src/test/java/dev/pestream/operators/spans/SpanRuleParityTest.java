package dev.pestream.operators.spans;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The span decoder in reference mode against PE-A-Frame's reference rule as computed by the
 * exporter's Python (models/fixtures/span-rule-reference.json, written by {@code python -m
 * pestream_export fixture}): the same spans, to the microsecond, on edge cases and random scores.
 */
class SpanRuleParityTest {
  private static final Path FIXTURE = Path.of("..", "models", "fixtures", "span-rule-reference.json");

  @Test
  void referenceModeReproducesThePythonReferenceRule() throws Exception {
    JsonNode cases = new ObjectMapper().readTree(FIXTURE.toFile()).get("cases");
    assertThat(cases.size()).isGreaterThan(10);
    for (JsonNode c : cases) {
      long frameUs = c.get("hopSamples").asLong() * 1_000_000 / c.get("sampleRate").asLong();
      long durationUs = Math.round(c.get("durationS").asDouble() * 1_000_000);
      SpanDecoder decoder = new SpanDecoder(SpanRule.reference((float) c.get("threshold").asDouble()), frameUs);
      SpanTrack track = new SpanTrack();
      List<SpanEvent> events = new ArrayList<>();
      JsonNode probs = c.get("probabilities");
      // the pipeline only scores frames that hold real audio: those starting before the real end
      for (int f = 0; f < probs.size() && (long) f * frameUs < durationUs; f++) {
        decoder.advance(track, f, (float) probs.get(f).asDouble(), 0, events::add);
      }
      decoder.finish(track, durationUs, events::add);

      List<double[]> spans = new ArrayList<>();
      for (SpanEvent e : events) {
        if (!e.open()) {
          spans.add(new double[] {e.startUs(frameUs) / 1e6, e.endUs() / 1e6});
        }
      }
      JsonNode expected = c.get("spans");
      assertThat(spans).as(c.get("name").asText()).hasSize(expected.size());
      for (int i = 0; i < spans.size(); i++) {
        assertThat(spans.get(i)[0]).as("%s span %d start", c.get("name").asText(), i)
            .isCloseTo(expected.get(i).get(0).asDouble(), within(1e-6));
        assertThat(spans.get(i)[1]).as("%s span %d end", c.get("name").asText(), i)
            .isCloseTo(expected.get(i).get(1).asDouble(), within(1e-6));
      }
    }
  }
}
