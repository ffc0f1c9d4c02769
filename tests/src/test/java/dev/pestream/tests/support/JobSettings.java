package dev.pestream.tests.support;

import dev.pestream.testing.kafka.KafkaTestClient;
import java.util.LinkedHashMap;
import java.util.Map;

/** The settings the ITCases run the perception job with on their broker; a test adds its own. */
public final class JobSettings {
  private JobSettings() {}

  /**
   * {@code topics} (KafkaTestClient.newJobTopics) on {@code kafka}, a transactional id prefix of
   * {@code name} and the topics' suffix, checkpoints every 500 ms, windows of 2 s every 1 s closed
   * without waiting, models on the CPU. Mutable.
   */
  public static Map<String, String> onBroker(KafkaTestClient kafka, Map<String, String> topics, String name) {
    Map<String, String> s = new LinkedHashMap<>(topics);
    s.put("kafka.bootstrap-servers", kafka.bootstrapServers());
    s.put("kafka.transactional-id-prefix", name + "-" + topics.get("topics.embeddings"));
    s.put("job.checkpoint-interval", "500 ms");
    s.put("window.length", "2 s");
    s.put("window.hop", "1 s");
    s.put("window.idle-timeout", "0 s");
    s.put("models.providers", "cpu");
    return s;
  }
}
