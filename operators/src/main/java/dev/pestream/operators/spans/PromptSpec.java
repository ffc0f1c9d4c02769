package dev.pestream.operators.spans;

import java.io.Serializable;
import java.util.Locale;

/** A text prompt scored on every stream (from configuration, not from an alert rule). */
public record PromptSpec(String id, String text) implements Serializable {
  public PromptSpec {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a prompt needs text");
    }
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a prompt needs an id");
    }
  }

  /** Parses {@code id=text} or plain {@code text} (the id is then the text, lower-cased, dashed). */
  public static PromptSpec parse(String spec) {
    int eq = spec.indexOf('=');
    if (eq > 0) {
      return new PromptSpec(spec.substring(0, eq).trim(), spec.substring(eq + 1).trim());
    }
    String text = spec.trim();
    return new PromptSpec(text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", ""), text);
  }
}
