package dev.pestream.operators.tags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TagSelectionTest {
  @Test
  void aTagTurnsOnAboveOnAndStaysOnUntilItFallsBelowOff() {
    Set<String> none = Set.of();
    assertThat(TagSelection.active(none, Map.of("red", 0.55f), 3, 0.6f, 0.4f)).isEmpty();
    assertThat(TagSelection.active(none, Map.of("red", 0.65f), 3, 0.6f, 0.4f)).containsExactly("red");
    assertThat(TagSelection.active(Set.of("red"), Map.of("red", 0.45f), 3, 0.6f, 0.4f)).containsExactly("red");
    assertThat(TagSelection.active(Set.of("red"), Map.of("red", 0.35f), 3, 0.6f, 0.4f)).isEmpty();
  }

  @Test
  void keepsTheTopKScoresWithDeterministicTies() {
    Map<String, Float> scores = Map.of("a", 0.9f, "b", 0.8f, "c", 0.8f, "d", 0.7f);
    assertThat(TagSelection.active(Set.of(), scores, 2, 0.5f, 0.5f)).containsExactly("a", "b");
    assertThat(TagSelection.active(Set.of(), scores, 3, 0.5f, 0.5f)).containsExactly("a", "b", "c");
  }

  @Test
  void changesListRemovalsThenAdditions() {
    var changes = TagSelection.changes(Set.of("red", "sky"), Set.of("sky", "green"),
        Map.of("red", 0.1f, "sky", 0.9f, "green", 0.8f));
    assertThat(changes).containsExactly(
        new TagSelection.Change("red", false, 0.1f), new TagSelection.Change("green", true, 0.8f));
  }

  @Test
  void rejectsBadSettings() {
    assertThatThrownBy(() -> TagSelection.active(Set.of(), Map.of(), 0, 0.5f, 0.4f)).hasMessageContaining("topK");
    assertThatThrownBy(() -> TagSelection.active(Set.of(), Map.of(), 1, 0.4f, 0.5f)).hasMessageContaining("offThreshold");
  }
}
