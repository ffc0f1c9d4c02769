package dev.pestream.tests.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.tests.support.DeployFiles;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs deploy/create-topics.sh against the test broker with Kafka's own TopicCommand (what
 * kafka-topics.sh runs) and checks the topics it made: partitions, retention, compaction of the
 * control topics, and that an existing topic is left as it was.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class CreateTopicsScriptITCase {
  private static final List<String> DATA_TOPICS = List.of("embeddings", "spans", "alerts", "tags", "captions");
  private static final List<String> CONTROL_TOPICS = List.of("control.alert-rules", "control.tag-vocabularies");
  private static final long DAY_MS = 86_400_000L;

  @Test
  void createsEveryTopicWithItsRetentionAndCompactsTheControlTopics(KafkaTestClient kafka, @TempDir Path dir)
      throws Exception {
    try (Admin admin = admin(kafka)) {
      admin.createTopics(List.of(new NewTopic("media.chunks", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);

      Path kafkaTopics = dir.resolve("kafka-topics");
      Files.writeString(kafkaTopics, "#!/usr/bin/env bash\nexec \"" + Path.of(System.getProperty("java.home"), "bin", "java")
          + "\" -XX:TieredStopAtLevel=1 -cp \"$TEST_CLASSPATH\" org.apache.kafka.tools.TopicCommand \"$@\"\n",
          StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(kafkaTopics, PosixFilePermissions.fromString("rwx------"));
      ProcessBuilder script = new ProcessBuilder("bash", DeployFiles.file("create-topics.sh").toString(),
          kafka.bootstrapServers()).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
      script.environment().putAll(Map.of(
          "KAFKA_TOPICS", kafkaTopics.toString(),
          "TEST_CLASSPATH", System.getProperty("java.class.path"),
          "REPLICATION_FACTOR", "1",
          "PARTITIONS", "3"));
      Process process = script.start();
      assertThat(process.waitFor(3, TimeUnit.MINUTES)).as("script finished").isTrue();
      String output = Files.readString(dir.resolve("out.txt"));
      assertThat(process.exitValue()).as(output).isZero();

      List<String> names = Stream.of(List.of("media.chunks", "dead-letters"), DATA_TOPICS, CONTROL_TOPICS)
          .flatMap(List::stream).toList();
      Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
      assertThat(topics.get("media.chunks").partitions()).as("existing topic left alone").hasSize(2);
      DATA_TOPICS.forEach(t -> assertThat(topics.get(t).partitions()).as(t).hasSize(3));
      CONTROL_TOPICS.forEach(t -> assertThat(topics.get(t).partitions()).as(t).hasSize(1));

      Map<String, Config> configs = admin.describeConfigs(topics.keySet().stream()
              .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList())
          .all().get(30, TimeUnit.SECONDS).entrySet().stream()
          .collect(Collectors.toMap(e -> e.getKey().name(), Map.Entry::getValue));
      Function<String, Function<String, String>> config = topic -> key -> configs.get(topic).get(key).value();
      for (String t : CONTROL_TOPICS) {
        assertThat(config.apply(t).apply("cleanup.policy")).as(t).isEqualTo("compact");
        assertThat(config.apply(t).apply("retention.ms")).as(t).isEqualTo("-1");
      }
      for (String t : DATA_TOPICS) {
        assertThat(config.apply(t).apply("cleanup.policy")).as(t).isEqualTo("delete");
        assertThat(Long.parseLong(config.apply(t).apply("retention.ms"))).as(t).isGreaterThanOrEqualTo(7 * DAY_MS);
        assertThat(config.apply(t).apply("min.insync.replicas")).as(t).isEqualTo("1");
      }
      assertThat(config.apply("dead-letters").apply("retention.ms")).isEqualTo(String.valueOf(14 * DAY_MS));
      assertThat(output).contains("topic control.tag-vocabularies: ok");
    }
  }

  private static Admin admin(KafkaTestClient kafka) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    return Admin.create(props);
  }
}
