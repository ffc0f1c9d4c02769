package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import org.junit.jupiter.api.Test;

/** Rules and vocabularies from request bodies: what is accepted, and the 400 answers. */
class ControlRequestsTest {
  @Test
  void aRuleWithEveryField() {
    AlertRule r = ControlRequests.rule("glass", """
        {"prompt":"glass breaking","threshold":0.6,"streamSelector":"cam-*","cooldownMs":30000,"enabled":false}""");
    assertThat(r.getRuleId()).isEqualTo("glass");
    assertThat(r.getPrompt()).isEqualTo("glass breaking");
    assertThat(r.getThreshold()).isEqualTo(0.6f);
    assertThat(r.getStreamSelector()).isEqualTo("cam-*");
    assertThat(r.getCooldownMs()).isEqualTo(30_000);
    assertThat(r.getEnabled()).isFalse();
    AlertRule defaults = ControlRequests.rule("b", "{\"prompt\":\"beep\",\"threshold\":0.5}");
    assertThat(defaults.getStreamSelector()).isEqualTo("*");
    assertThat(defaults.getEnabled()).isTrue();
  }

  @Test
  void thresholdOutsideZeroOne() {
    for (String t : new String[] {"0", "1", "1.5", "-0.2"}) {
      assertThatThrownBy(() -> ControlRequests.rule("r", "{\"prompt\":\"beep\",\"threshold\":" + t + "}"))
          .as(t).isInstanceOf(BadRequest.class).hasMessageContaining("outside (0, 1)");
    }
    assertThatThrownBy(() -> ControlRequests.rule("r", "{\"prompt\":\"beep\",\"threshold\":\"high\"}"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("threshold must be a number");
  }

  @Test
  void malformedSelectors() {
    for (String selector : new String[] {"\"\"", "\"cam\\n*\"", "\"" + "c".repeat(257) + "\"", "42"}) {
      assertThatThrownBy(() -> ControlRequests.rule("r", "{\"prompt\":\"beep\",\"threshold\":0.5,\"streamSelector\":"
          + selector + "}")).as(selector).isInstanceOf(BadRequest.class).hasMessageContaining("streamSelector");
    }
  }

  @Test
  void badBodiesAndIds() {
    assertThatThrownBy(() -> ControlRequests.rule("r", "{not json")).isInstanceOf(BadRequest.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ControlRequests.rule("r", "[1]")).isInstanceOf(BadRequest.class)
        .hasMessage("the body must be a JSON object");
    assertThatThrownBy(() -> ControlRequests.rule("r", "{\"threshold\":0.5}")).isInstanceOf(BadRequest.class)
        .hasMessage("prompt is missing");
    assertThatThrownBy(() -> ControlRequests.rule("x".repeat(200), "{\"prompt\":\"beep\",\"threshold\":0.5}"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("rule id");
    assertThatThrownBy(() -> ControlRequests.rule("r", "{\"prompt\":\"beep\",\"threshold\":0.5,\"cooldownMs\":-1}"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("cooldownMs is negative");
  }

  @Test
  void vocabularies() {
    TagVocabulary v = ControlRequests.vocabulary("colours", """
        {"tags":["red"," blue "],"topK":1,"onThreshold":0.6,"offThreshold":0.4}""");
    assertThat(v.getTags()).containsExactly("red", "blue");
    assertThat(v.getTopK()).isEqualTo(1);
    assertThatThrownBy(() -> ControlRequests.vocabulary("v", "{\"tags\":[]}")).isInstanceOf(BadRequest.class)
        .hasMessageContaining("non-empty list");
    assertThatThrownBy(() -> ControlRequests.vocabulary("v", "{\"tags\":[\"a\"],\"onThreshold\":0.3,\"offThreshold\":0.4}"))
        .isInstanceOf(BadRequest.class).hasMessageContaining("offThreshold <= onThreshold");
  }
}
