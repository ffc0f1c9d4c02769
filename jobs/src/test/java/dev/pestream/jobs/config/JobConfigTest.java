package dev.pestream.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {
  @TempDir Path dir;

  @Test
  void readsNestedYamlAndLetsOverridesWin() throws Exception {
    Path yaml = dir.resolve("job.yaml");
    Files.writeString(yaml, """
        window:
          length: 6 s
          hop: 2 s
        spans:
          prompts: [glass breaking, siren]
        kafka:
          bootstrap-servers: broker:9092
          client:
            security.protocol: SASL_SSL
            sasl.jaas.config: org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";
        models:
          providers: cpu
        """);
    JobConfig config = JobConfig.load(yaml, Map.of("window.hop", "4 s"));

    assertThat(config.get(PerceptionOptions.WINDOW_LENGTH)).isEqualTo(Duration.ofSeconds(6));
    assertThat(config.get(PerceptionOptions.WINDOW_HOP)).isEqualTo(Duration.ofSeconds(4));
    assertThat(config.get(PerceptionOptions.PROMPTS)).containsExactly("glass breaking", "siren");
    assertThat(config.get(PerceptionOptions.TOPIC_CHUNKS)).isEqualTo("media.chunks");
    assertThat(config.kafkaClientProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(config.modelSettings()).containsEntry("models.providers", "cpu");
  }

  @Test
  void neverPrintsSecrets() {
    JobConfig config = JobConfig.of(Map.of(
        "kafka.client.sasl.jaas.config", "ScramLoginModule required username=\"u\" password=\"hunter2\";",
        "kafka.client.ssl.keystore.password", "hunter2",
        "kafka.client.ssl.key.password", "hunter2"));
    assertThat(config.describe()).doesNotContain("hunter2").contains("kafka.client.ssl.keystore.password: ******");
  }

  @Test
  void rejectsUnknownKeysAndBadValuesByName() {
    assertThatThrownBy(() -> JobConfig.of(Map.of("window.lenght", "5 s")))
        .hasMessageContaining("unknown setting(s) [window.lenght]");
    assertThatThrownBy(() -> JobConfig.of(Map.of("window.length", "five seconds")))
        .hasMessageContaining("window.length");
  }

  @Test
  void documentsEveryOption() {
    List<String> undocumented = JobConfig.documentedOptions().stream()
        .filter(o -> !o.hasDefaultValue() && o.description().toString().isBlank())
        .map(o -> o.key()).toList();
    assertThat(undocumented).isEmpty();
    assertThat(JobConfig.documentedOptions()).allSatisfy(o -> assertThat(o.description().toString()).isNotBlank());
  }
}
