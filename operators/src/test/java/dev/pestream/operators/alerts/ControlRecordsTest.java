package dev.pestream.operators.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlRecordsTest {
  private static AlertRule.Builder rule() {
    return AlertRule.newBuilder().setRuleId("r1").setPrompt("siren").setThreshold(0.5f).setUpdatedAtMs(Instant.EPOCH);
  }

  private static TagVocabulary.Builder vocabulary() {
    return TagVocabulary.newBuilder().setVocabularyId("v").setTags(List.of("red", "blue")).setUpdatedAtMs(Instant.EPOCH);
  }

  @Test
  void acceptsWellFormedRecordsAndDeletions() {
    assertThat(ControlRecords.problemWith(rule().build())).isEmpty();
    assertThat(ControlRecords.problemWith(rule().setPrompt("").setDeleted(true).build())).isEmpty();
    assertThat(ControlRecords.problemWith(vocabulary().build())).isEmpty();
  }

  @Test
  void namesWhatIsWrongWithAMalformedRule() {
    assertThat(ControlRecords.problemWith(rule().setRuleId(" ").build())).hasValueSatisfying(r -> assertThat(r).contains("ruleId"));
    assertThat(ControlRecords.problemWith(rule().setPrompt(" ").build())).hasValueSatisfying(r -> assertThat(r).contains("empty prompt"));
    assertThat(ControlRecords.problemWith(rule().setThreshold(1.5f).build())).hasValueSatisfying(r -> assertThat(r).contains("threshold 1.5"));
    assertThat(ControlRecords.problemWith(rule().setThreshold(Float.NaN).build())).isPresent();
    assertThat(ControlRecords.problemWith(rule().setCooldownMs(-1).build())).hasValueSatisfying(r -> assertThat(r).contains("cooldown"));
    assertThat(ControlRecords.problemWith(rule().setPrompt("x".repeat(3000)).build())).hasValueSatisfying(r -> assertThat(r).contains("longer"));
  }

  @Test
  void namesWhatIsWrongWithAMalformedVocabulary() {
    assertThat(ControlRecords.problemWith(vocabulary().setTags(List.of()).build())).hasValueSatisfying(r -> assertThat(r).contains("no tags"));
    assertThat(ControlRecords.problemWith(vocabulary().setTags(List.of("red", " ")).build())).hasValueSatisfying(r -> assertThat(r).contains("empty"));
    assertThat(ControlRecords.problemWith(vocabulary().setTopK(0).build())).hasValueSatisfying(r -> assertThat(r).contains("topK"));
    assertThat(ControlRecords.problemWith(vocabulary().setOnThreshold(0.3f).setOffThreshold(0.4f).build()))
        .hasValueSatisfying(r -> assertThat(r).contains("offThreshold"));
  }

  @Test
  void streamSelectorsAreGlobs() {
    assertThat(StreamSelector.matches("*", "anything")).isTrue();
    assertThat(StreamSelector.matches("cam-*", "cam-7")).isTrue();
    assertThat(StreamSelector.matches("cam-*", "mic-7")).isFalse();
    assertThat(StreamSelector.matches("cam-?", "cam-12")).isFalse();
    assertThat(StreamSelector.matches("a.b", "axb")).isFalse();
    assertThat(StreamSelector.matches("lobby", "lobby")).isTrue();
    assertThat(StreamSelector.matches("*-a?-*", "cam-a7-lobby")).isTrue();
    assertThat(StreamSelector.matches("*x", "xax")).isTrue();
    assertThat(StreamSelector.matches("c*m*", "cm")).isTrue();
    assertThat(StreamSelector.matches("?", "\uD83D\uDCF7")).as("? is one code point").isTrue();
    assertThat(StreamSelector.matches("cam-**", "cam-")).isTrue();
    assertThat(StreamSelector.matches("cam-?*", "cam-")).isFalse();
  }

  /**
   * A glob with many stars used to become a backtracking regular expression: this one took
   * minutes on a 40-character id (exponential in the number of stars). Linear matching answers
   * at once; the preemptive timeout only keeps a regression from hanging the build.
   */
  @Test
  void pathologicalSelectorsCannotStallMatching() {
    String glob = "*a".repeat(12) + "*c";
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      assertThat(StreamSelector.matches(glob, "a".repeat(40))).isFalse();
      assertThat(StreamSelector.matches(glob, "a".repeat(40) + "c")).isTrue();
      assertThat(StreamSelector.matches("*a".repeat(120) + "*c", "a".repeat(2000))).isFalse();
    });
  }

  @Test
  void overlongSelectorsAreRejected() {
    String selector = "*".repeat(ControlRecords.MAX_SELECTOR_CHARS + 1);
    assertThat(ControlRecords.problemWith(rule().setStreamSelector(selector).build()))
        .hasValueSatisfying(r -> assertThat(r).contains("stream selector"));
    assertThat(ControlRecords.problemWith(vocabulary().setStreamSelector(selector).build()))
        .hasValueSatisfying(r -> assertThat(r).contains("stream selector"));
  }
}
