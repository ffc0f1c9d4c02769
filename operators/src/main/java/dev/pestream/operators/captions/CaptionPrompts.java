package dev.pestream.operators.captions;

import static dev.pestream.connectors.plm.SettingChecks.range;
import static dev.pestream.connectors.plm.SettingChecks.requireText;

import dev.pestream.operators.alerts.StreamSelector;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the model is asked about each window: the default prompt, per-stream prompts, prompt rules,
 * and how it answers (max tokens, temperature). Validated on construction.
 *
 * @param streamPrompts a stream's own prompt, by stream id (sorted, unmodifiable)
 * @param promptRules tried in order for streams without their own prompt
 * @param temperature 0 = greedy decoding (PLM's reference setting)
 */
public record CaptionPrompts(String prompt, Map<String, String> streamPrompts, List<PromptRule> promptRules,
    int maxTokens, double temperature) implements Serializable {
  public static final String DEFAULT_PROMPT = "What is happening in the video?";

  public CaptionPrompts {
    requireText(prompt, "prompt");
    streamPrompts.forEach((stream, p) -> {
      requireText(stream, "stream id of a stream prompt");
      requireText(p, "prompt of stream " + stream);
    });
    // sorted so that equal settings print (and compare) alike whatever order the prompts came in
    streamPrompts = Collections.unmodifiableSortedMap(new TreeMap<>(streamPrompts));
    promptRules.forEach(rule -> Objects.requireNonNull(rule, "prompt rule"));
    promptRules = List.copyOf(promptRules);
    range(maxTokens, 1, 32768, "max tokens");
    if (!(temperature >= 0 && temperature <= 2)) {
      throw new IllegalArgumentException("temperature must be in [0, 2], got " + temperature);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().prompt(prompt).streamPrompts(streamPrompts).promptRules(promptRules).maxTokens(maxTokens)
        .temperature(temperature);
  }

  /** The prompt for a stream: its own prompt, else that of the first prompt rule matching it, else the default. */
  public String promptFor(String streamId) {
    String own = streamPrompts.get(streamId);
    if (own != null) {
      return own;
    }
    for (PromptRule rule : promptRules) {
      if (StreamSelector.matches(rule.streamSelector(), streamId)) {
        return rule.prompt();
      }
    }
    return prompt;
  }

  /** Builds {@link CaptionPrompts}; by default PLM's reference prompt, 256 tokens, greedy. */
  public static final class Builder {
    private String prompt = DEFAULT_PROMPT;
    private final TreeMap<String, String> streamPrompts = new TreeMap<>();
    private final List<PromptRule> promptRules = new ArrayList<>();
    private int maxTokens = 256;
    private double temperature = 0;

    private Builder() {}

    public Builder prompt(String prompt) {
      this.prompt = prompt;
      return this;
    }

    public Builder streamPrompt(String streamId, String prompt) {
      this.streamPrompts.put(streamId, prompt);
      return this;
    }

    public Builder streamPrompts(Map<String, String> prompts) {
      this.streamPrompts.clear();
      this.streamPrompts.putAll(prompts);
      return this;
    }

    /** Prompt rules in the order they are tried; replaces those set before. */
    public Builder promptRules(List<PromptRule> rules) {
      this.promptRules.clear();
      this.promptRules.addAll(rules);
      return this;
    }

    public Builder maxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    public Builder temperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    public CaptionPrompts build() {
      return new CaptionPrompts(prompt, streamPrompts, promptRules, maxTokens, temperature);
    }
  }
}
