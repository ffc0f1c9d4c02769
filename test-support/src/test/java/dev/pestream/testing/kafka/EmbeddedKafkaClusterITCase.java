package dev.pestream.testing.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.testing.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The three-node cluster for real: a topic created without a replication factor gets three
 * replicas and min ISR 2; an idempotent {@code acks=all} producer goes on when the partition's
 * leader is killed (another node takes over once the dead one is fenced); the killed node,
 * restarted on its ports and data, rejoins the ISR; a rolling restart keeps every record; read
 * back, every record is there exactly once and in order.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EmbeddedKafkaClusterITCase {
  private static final int BATCH = 200;

  @Test
  void produceSurvivesAKilledLeaderAndARollingRestart() throws Exception {
    try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.start()) {
      KafkaTestClient kafka = new KafkaTestClient(cluster.bootstrapServers());
      String topic = kafka.newTopic("replicated", 1);
      assertReplicatedByDefault(cluster.bootstrapServers(), topic);
      int leader = cluster.leaderOf(topic, 0);
      assertThat(cluster.inSyncReplicas(topic, 0)).containsExactlyInAnyOrder(1, 2, 3);

      int sent = 0;
      try (KafkaProducer<byte[], byte[]> producer = kafka.producer()) {
        sent = sendAndAwait(producer, topic, sent);
        cluster.kill(leader);
        assertThat(cluster.isAlive(leader)).isFalse();
        sent = sendAndAwait(producer, topic, sent);
        int newLeader = cluster.leaderOf(topic, 0);
        assertThat(newLeader).as("leader after the kill").isNotEqualTo(leader);
        Poll.until("the killed node out of the ISR", Duration.ofSeconds(30),
            () -> cluster.inSyncReplicas(topic, 0), isr -> !isr.contains(leader));

        cluster.restart(leader);
        assertThat(cluster.inSyncReplicas(topic, 0)).as("ISR after the restart").containsExactlyInAnyOrder(1, 2, 3);
        sent = sendAndAwait(producer, topic, sent);

        List<Integer> back = new ArrayList<>();
        cluster.rollingRestart(back::add);
        assertThat(back).containsExactly(1, 2, 3);
        assertThat(cluster.nodeIds()).allSatisfy(id -> assertThat(cluster.isAlive(id)).isTrue());
        assertThat(cluster.inSyncReplicas(topic, 0)).containsExactlyInAnyOrder(1, 2, 3);
        sent = sendAndAwait(producer, topic, sent);
      }

      List<String> values = kafka.readCommitted(topic, sent, Duration.ofSeconds(1), Duration.ofSeconds(60))
          .stream().map(ConsumerRecord::value).map(v -> new String(v, StandardCharsets.UTF_8)).toList();
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < sent; i++) {
        expected.add(String.valueOf(i));
      }
      assertThat(values).as("every record once, in order").isEqualTo(expected);
    }
  }

  /** Sends the next {@link #BATCH} records (values: their numbers) and waits for every ack. */
  private static int sendAndAwait(KafkaProducer<byte[], byte[]> producer, String topic, int from) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (int i = from; i < from + BATCH; i++) {
      acks.add(producer.send(new ProducerRecord<>(topic, String.valueOf(i).getBytes(StandardCharsets.UTF_8))));
    }
    for (Future<RecordMetadata> ack : acks) {
      ack.get(90, TimeUnit.SECONDS);
    }
    return from + BATCH;
  }

  private static void assertReplicatedByDefault(String bootstrapServers, String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(p)) {
      var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
          .get(topic).partitions();
      assertThat(partitions).allSatisfy(info -> assertThat(info.replicas()).hasSize(3));
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Map<ConfigResource, Config> configs =
          admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS);
      assertThat(configs.get(resource).get("min.insync.replicas").value()).isEqualTo("2");
    }
  }
}
