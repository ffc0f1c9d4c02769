package dev.pestream.connectors.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the job's topics: data topics with a partition count, control topics compacted. */
public final class KafkaTopics {
  private KafkaTopics() {}

  /** A topic to create: compacted topics keep the latest record per key (control topics). */
  public record Spec(String name, int partitions, boolean compacted) {
    public Spec {
      if (name == null || name.isBlank() || partitions < 1) {
        throw new IllegalArgumentException("a topic needs a name and at least one partition");
      }
    }

    /** Replication and min ISR are the cluster's ({@code default.replication.factor}, {@code min.insync.replicas}). */
    NewTopic toNewTopic() {
      NewTopic t = new NewTopic(name, Optional.of(partitions), Optional.empty());
      if (compacted) {
        t.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      }
      return t;
    }
  }

  /**
   * Creates the topics that do not exist yet, replicated as the cluster's defaults say: one copy
   * on a lone test broker, three on a cluster configured for it (a fixed factor would be wrong on
   * one of the two).
   */
  public static void createIfMissing(String bootstrapServers, Properties clientProperties, List<Spec> topics) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.putAll(clientProperties);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Spec spec : topics) {
        if (!existing.contains(spec.name())) {
          missing.add(spec.toNewTopic());
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (Exception e) {
      throw new IllegalStateException("could not create topics on " + bootstrapServers + ": " + e.getMessage(), e);
    }
  }

  public static void createIfMissing(String bootstrapServers, List<Spec> topics) {
    createIfMissing(bootstrapServers, new Properties(), topics);
  }
}
