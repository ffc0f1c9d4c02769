package dev.pestream.operators.captions;

import dev.pestream.operators.alerts.ControlRecords;
import java.io.Serializable;

/**
 * A caption prompt for every stream whose id matches {@code streamSelector}, a glob with the
 * syntax of alert rules' stream selectors ({@code *} any run of characters, {@code ?} one).
 * Written {@code glob=prompt} in {@code captions.prompt-rules}.
 */
public record PromptRule(String streamSelector, String prompt) implements Serializable {
  public PromptRule {
    if (streamSelector == null || streamSelector.isBlank()) {
      throw new IllegalArgumentException("a caption prompt rule needs a stream selector (glob=prompt)");
    }
    if (streamSelector.length() > ControlRecords.MAX_SELECTOR_CHARS) {
      throw new IllegalArgumentException("the stream selector of a caption prompt rule is longer than "
          + ControlRecords.MAX_SELECTOR_CHARS + " characters");
    }
    if (prompt == null || prompt.isBlank()) {
      throw new IllegalArgumentException("caption prompt rule '" + streamSelector + "' has no prompt (glob=prompt)");
    }
  }

  /** Parses {@code glob=prompt}: the glob ends at the first '=' (stream ids and globs hold none). */
  public static PromptRule parse(String rule) {
    int eq = rule == null ? -1 : rule.indexOf('=');
    if (eq < 0) {
      throw new IllegalArgumentException("a caption prompt rule is written glob=prompt, got '" + rule + "'");
    }
    return new PromptRule(rule.substring(0, eq).trim(), rule.substring(eq + 1).trim());
  }

  @Override
  public String toString() {
    return streamSelector + "=" + prompt;
  }
}
