package dev.pestream.jobs;

import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.operators.alerts.ControlRecords;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireCodec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Alert rules and tag vocabularies from YAML/JSON files, written to their compacted control
 * topics (the topics stay the source of truth; the job picks changes up while it runs).
 *
 * <pre>
 * rules:
 *   - {ruleId: glass, prompt: glass breaking, threshold: 0.6, streamSelector: "cam-*", cooldownMs: 30000}
 * vocabularies:
 *   - {vocabularyId: scene, tags: [crowd, car, dog], topK: 3, onThreshold: 0.5, offThreshold: 0.4}
 * </pre>
 */
public final class ControlRecordFiles {
  private ControlRecordFiles() {}

  public static List<AlertRule> readRules(Path file) {
    List<AlertRule> rules = new ArrayList<>();
    for (Map<String, Object> m : entries(file, "rules")) {
      AlertRule rule = AlertRule.newBuilder()
          .setRuleId(string(m, "ruleId", null))
          .setPrompt(string(m, "prompt", ""))
          .setThreshold(number(m, "threshold", 0.5).floatValue())
          .setStreamSelector(string(m, "streamSelector", "*"))
          .setCooldownMs(number(m, "cooldownMs", 0).longValue())
          .setEnabled(!Boolean.FALSE.equals(m.get("enabled")))
          .setDeleted(Boolean.TRUE.equals(m.get("deleted")))
          .setUpdatedAtMs(Instant.now())
          .build();
      ControlRecords.problemWith(rule).ifPresent(p -> {
        throw new IllegalArgumentException(file + ": " + p);
      });
      rules.add(rule);
    }
    return rules;
  }

  public static List<TagVocabulary> readVocabularies(Path file) {
    List<TagVocabulary> vocabularies = new ArrayList<>();
    for (Map<String, Object> m : entries(file, "vocabularies")) {
      Object tags = m.get("tags");
      TagVocabulary vocabulary = TagVocabulary.newBuilder()
          .setVocabularyId(string(m, "vocabularyId", null))
          .setTags(tags instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of())
          .setTopK(number(m, "topK", 3).intValue())
          .setOnThreshold(number(m, "onThreshold", 0.5).floatValue())
          .setOffThreshold(number(m, "offThreshold", 0.4).floatValue())
          .setStreamSelector(string(m, "streamSelector", "*"))
          .setDeleted(Boolean.TRUE.equals(m.get("deleted")))
          .setUpdatedAtMs(Instant.now())
          .build();
      ControlRecords.problemWith(vocabulary).ifPresent(p -> {
        throw new IllegalArgumentException(file + ": " + p);
      });
      vocabularies.add(vocabulary);
    }
    return vocabularies;
  }

  /**
   * Writes rules and vocabularies to the control topics named in {@code config}, keyed by id, in
   * the configured {@code records.wire-format}.
   */
  public static void publish(JobConfig config, List<AlertRule> rules, List<TagVocabulary> vocabularies) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get(KafkaOptions.BOOTSTRAP_SERVERS));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putAll(config.kafkaClientProperties());
    RecordFormat format = RecordFormat.from(config.flink());
    WireCodec<AlertRule> ruleCodec = format.codec(AlertRule.class);
    WireCodec<TagVocabulary> vocabularyCodec = format.codec(TagVocabulary.class);
    String rulesTopic = config.get(PerceptionOptions.TOPIC_ALERT_RULES);
    String vocabulariesTopic = config.get(PerceptionOptions.TOPIC_TAG_VOCABULARIES);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (AlertRule rule : rules) {
        producer.send(new ProducerRecord<>(rulesTopic,
            rule.getRuleId().getBytes(StandardCharsets.UTF_8), ruleCodec.encode(rulesTopic, rule)));
      }
      for (TagVocabulary vocabulary : vocabularies) {
        producer.send(new ProducerRecord<>(vocabulariesTopic, vocabulary.getVocabularyId().getBytes(StandardCharsets.UTF_8),
            vocabularyCodec.encode(vocabulariesTopic, vocabulary)));
      }
      producer.flush();
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> entries(Path file, String section) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
      if (!(root instanceof Map<?, ?> map) || !(map.get(section) instanceof List<?> list)) {
        throw new IllegalArgumentException(file + " must hold a '" + section + ":' list");
      }
      List<Map<String, Object>> out = new ArrayList<>();
      for (Object entry : list) {
        if (!(entry instanceof Map<?, ?> m)) {
          throw new IllegalArgumentException(file + ": every entry of '" + section + "' must be a mapping");
        }
        out.add((Map<String, Object>) m);
      }
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static String string(Map<String, Object> m, String key, String fallback) {
    Object v = m.get(key);
    return v == null ? fallback : String.valueOf(v);
  }

  private static Number number(Map<String, Object> m, String key, Number fallback) {
    Object v = m.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n;
    }
    try {
      return Double.valueOf(String.valueOf(v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got " + v, e);
    }
  }
}
