package dev.pestream.operators.alerts;

import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import java.util.Optional;

/**
 * Checks control records before they enter broadcast state: a malformed rule or vocabulary is
 * rejected with a reason (and dead-lettered by the caller), never half-applied.
 */
public final class ControlRecords {
  /** Longest prompt or tag text accepted; the text tower truncates at 512 tokens anyway. */
  public static final int MAX_TEXT_CHARS = 2_000;
  public static final int MAX_TAGS = 1_000;
  /** Longest stream selector (glob) accepted. */
  public static final int MAX_SELECTOR_CHARS = 256;

  private ControlRecords() {}

  /** Why the rule cannot be applied, or empty if it is fine. Deletions only need an id. */
  public static Optional<String> problemWith(AlertRule rule) {
    if (rule.getRuleId() == null || rule.getRuleId().isBlank()) {
      return Optional.of("alert rule without a ruleId");
    }
    if (rule.getDeleted()) {
      return Optional.empty();
    }
    if (rule.getPrompt() == null || rule.getPrompt().isBlank()) {
      return Optional.of("alert rule " + rule.getRuleId() + " has an empty prompt");
    }
    if (rule.getPrompt().length() > MAX_TEXT_CHARS) {
      return Optional.of("alert rule " + rule.getRuleId() + " has a prompt longer than " + MAX_TEXT_CHARS + " characters");
    }
    float t = rule.getThreshold();
    if (!(t > 0f && t < 1f)) {
      return Optional.of("alert rule " + rule.getRuleId() + " has threshold " + t + " outside (0, 1)");
    }
    if (rule.getCooldownMs() < 0) {
      return Optional.of("alert rule " + rule.getRuleId() + " has a negative cooldown");
    }
    return selectorProblem("alert rule " + rule.getRuleId(), rule.getStreamSelector());
  }

  public static Optional<String> problemWith(TagVocabulary vocabulary) {
    String id = vocabulary.getVocabularyId();
    if (id == null || id.isBlank()) {
      return Optional.of("tag vocabulary without a vocabularyId");
    }
    if (vocabulary.getDeleted()) {
      return Optional.empty();
    }
    if (vocabulary.getTags() == null || vocabulary.getTags().isEmpty()) {
      return Optional.of("tag vocabulary " + id + " has no tags");
    }
    if (vocabulary.getTags().size() > MAX_TAGS) {
      return Optional.of("tag vocabulary " + id + " has more than " + MAX_TAGS + " tags");
    }
    for (String tag : vocabulary.getTags()) {
      if (tag == null || tag.isBlank() || tag.length() > MAX_TEXT_CHARS) {
        return Optional.of("tag vocabulary " + id + " has an empty or overlong tag");
      }
    }
    if (vocabulary.getTopK() < 1) {
      return Optional.of("tag vocabulary " + id + " has topK " + vocabulary.getTopK() + " < 1");
    }
    float on = vocabulary.getOnThreshold();
    float off = vocabulary.getOffThreshold();
    if (!(on > 0f && on < 1f) || !(off > 0f && off <= on)) {
      return Optional.of("tag vocabulary " + id + " needs 0 < offThreshold <= onThreshold < 1, got on="
          + on + " off=" + off);
    }
    return selectorProblem("tag vocabulary " + id, vocabulary.getStreamSelector());
  }

  private static Optional<String> selectorProblem(String what, String selector) {
    if (selector != null && selector.length() > MAX_SELECTOR_CHARS) {
      return Optional.of(what + " has a stream selector longer than " + MAX_SELECTOR_CHARS + " characters");
    }
    return Optional.empty();
  }
}
