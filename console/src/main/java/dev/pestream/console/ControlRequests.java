package dev.pestream.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pestream.operators.alerts.ControlRecords;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Alert rules and tag vocabularies from JSON request bodies, checked the way the job checks them
 * ({@link ControlRecords}) plus what a form can get wrong; every problem is a {@link BadRequest}
 * that says what to change. The same field names as the Avro records and the rules files.
 */
public final class ControlRequests {
  public static final int MAX_ID_CHARS = 128;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ControlRequests() {}

  /** A rule {@code ruleId} from a body like {@code {"prompt":"beep","threshold":0.5,"streamSelector":"cam-*","cooldownMs":5000,"enabled":true}}. */
  public static AlertRule rule(String ruleId, String body) {
    JsonNode json = object(body);
    return rule(ruleId, text(json, "prompt", null), number(json, "threshold", null), selector(json),
        (long) number(json, "cooldownMs", 0.0), bool(json, "enabled", true));
  }

  /** A checked rule (the command line's {@code pestream rules put} and the API share the checks). */
  public static AlertRule rule(String ruleId, String prompt, double threshold, String streamSelector, long cooldownMs,
                               boolean enabled) {
    if (!(threshold > 0 && threshold < 1)) {
      throw new BadRequest("threshold " + threshold + " is outside (0, 1): use a probability such as 0.5");
    }
    if (cooldownMs < 0) {
      throw new BadRequest("cooldownMs is negative: use 0 (no cooldown) or more milliseconds");
    }
    if (prompt == null || prompt.isBlank()) {
      throw new BadRequest("prompt is empty: give the sound to alert on, e.g. glass breaking");
    }
    AlertRule rule = AlertRule.newBuilder()
        .setRuleId(id(ruleId, "rule"))
        .setPrompt(prompt.strip())
        .setThreshold((float) threshold)
        .setStreamSelector(checkSelector(streamSelector))
        .setCooldownMs(cooldownMs)
        .setEnabled(enabled)
        .setUpdatedAtMs(Instant.now())
        .build();
    ControlRecords.problemWith(rule).ifPresent(p -> {
      throw new BadRequest(p);
    });
    return rule;
  }

  /** A vocabulary from a body like {@code {"tags":["red","blue"],"topK":2,"onThreshold":0.6,"offThreshold":0.4,"streamSelector":"*"}}. */
  public static TagVocabulary vocabulary(String vocabularyId, String body) {
    JsonNode json = object(body);
    JsonNode tags = json.get("tags");
    if (tags == null || !tags.isArray() || tags.isEmpty()) {
      throw new BadRequest("tags must be a non-empty list of words, e.g. \"tags\":[\"red\",\"blue\"]");
    }
    List<String> words = new ArrayList<>();
    tags.forEach(t -> {
      if (!t.isTextual() || t.asText().isBlank()) {
        throw new BadRequest("every tag must be a non-empty text");
      }
      words.add(t.asText().strip());
    });
    TagVocabulary vocabulary = TagVocabulary.newBuilder()
        .setVocabularyId(id(vocabularyId, "vocabulary"))
        .setTags(words)
        .setTopK((int) number(json, "topK", 3.0))
        .setOnThreshold((float) number(json, "onThreshold", 0.5))
        .setOffThreshold((float) number(json, "offThreshold", 0.4))
        .setStreamSelector(selector(json))
        .setUpdatedAtMs(Instant.now())
        .build();
    ControlRecords.problemWith(vocabulary).ifPresent(p -> {
      throw new BadRequest(p);
    });
    return vocabulary;
  }

  /** A rule as the API lists it. */
  public static Map<String, Object> describe(AlertRule r) {
    return Map.of("ruleId", r.getRuleId(), "prompt", r.getPrompt(), "threshold", r.getThreshold(),
        "streamSelector", r.getStreamSelector(), "cooldownMs", r.getCooldownMs(), "enabled", r.getEnabled(),
        "updatedAtMs", r.getUpdatedAtMs().toEpochMilli());
  }

  public static Map<String, Object> describe(TagVocabulary v) {
    return Map.of("vocabularyId", v.getVocabularyId(), "tags", List.copyOf(v.getTags()), "topK", v.getTopK(),
        "onThreshold", v.getOnThreshold(), "offThreshold", v.getOffThreshold(), "streamSelector", v.getStreamSelector(),
        "updatedAtMs", v.getUpdatedAtMs().toEpochMilli());
  }

  /** An id from a URL path: 1 to {@value #MAX_ID_CHARS} printable characters. */
  public static String id(String id, String what) {
    if (id == null || id.isBlank() || id.length() > MAX_ID_CHARS || !printable(id)) {
      throw new BadRequest("the " + what + " id must be 1 to " + MAX_ID_CHARS + " printable characters");
    }
    return id;
  }

  private static JsonNode object(String body) {
    try {
      JsonNode json = JSON.readTree(body == null ? "" : body);
      if (json == null || !json.isObject()) {
        throw new BadRequest("the body must be a JSON object");
      }
      return json;
    } catch (JsonProcessingException e) {
      throw new BadRequest("the body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static String selector(JsonNode json) {
    return checkSelector(text(json, "streamSelector", "*"));
  }

  /** A stream selector: a glob of printable characters, not too long. */
  public static String checkSelector(String glob) {
    if (glob == null || glob.length() > ControlRecords.MAX_SELECTOR_CHARS || !printable(glob)) {
      throw new BadRequest("streamSelector must be a glob of 1 to " + ControlRecords.MAX_SELECTOR_CHARS
          + " printable characters (* any characters, ? one), e.g. \"cam-*\"");
    }
    return glob;
  }

  private static String text(JsonNode json, String field, String fallback) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      if (fallback == null) {
        throw new BadRequest(field + " is missing");
      }
      return fallback;
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new BadRequest(field + " must be a non-empty text");
    }
    return v.asText().strip();
  }

  private static double number(JsonNode json, String field, Double fallback) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      if (fallback == null) {
        throw new BadRequest(field + " is missing: give a number");
      }
      return fallback;
    }
    if (!v.isNumber()) {
      throw new BadRequest(field + " must be a number, not " + v);
    }
    return v.asDouble();
  }

  private static boolean bool(JsonNode json, String field, boolean fallback) {
    JsonNode v = json.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw new BadRequest(field + " must be true or false");
    }
    return v.asBoolean();
  }

  private static boolean printable(String s) {
    return !s.isBlank() && s.codePoints().noneMatch(Character::isISOControl);
  }
}
