package dev.pestream.operators.spans;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * How the span scorer decodes: the configured prompts and their rule (alert-rule prompts use the
 * same rule with the rule's own threshold), how much earlier audio PE-A-Frame sees as context, and
 * when an idle stream's spans are closed.
 */
public record SpanSettings(List<PromptSpec> prompts, SpanRule rule, Duration context, Duration idleTimeout)
    implements Serializable {
  public SpanSettings {
    prompts = List.copyOf(prompts);
    if (context.isNegative() || idleTimeout.isNegative()) {
      throw new IllegalArgumentException("context and idle timeout must not be negative");
    }
    long distinct = prompts.stream().map(PromptSpec::id).distinct().count();
    if (distinct != prompts.size()) {
      throw new IllegalArgumentException("prompt ids must be unique: " + prompts);
    }
  }
}
