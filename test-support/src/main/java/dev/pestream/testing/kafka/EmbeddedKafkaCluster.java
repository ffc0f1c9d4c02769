package dev.pestream.testing.kafka;

import dev.pestream.testing.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three real Kafka nodes in KRaft mode, each a child JVM ({@link KafkaNodeProcess}, as for
 * {@link EmbeddedKafkaBroker}), for tests of broker failures: a node can be killed (SIGKILL) and
 * started again on the same ports and data, or the whole cluster restarted node by node.
 *
 * <p>Each node is a combined broker and controller, and the three form a static quorum ({@code
 * controller.quorum.voters} lists all three). Three voters survive the loss of any one node, the
 * same budget the replicas have, so one node down at a time never stops the cluster; a dedicated
 * controller would be a fourth JVM on small test machines and a single point of failure that
 * no broker fault could exercise. Killing a partition leader can so also kill the active
 * controller, a harsher and realistic fault for a small cluster.
 *
 * <p>Defaults suit replication: {@code default.replication.factor=3}, {@code min.insync.replicas=2}
 * (so {@code acks=all} survives one node down and refuses writes with two down), the same for the
 * offsets, transaction-state and share-state topics. Brokers are fenced 6 s after their last
 * heartbeat (Kafka's default: 9 s), which bounds how long partitions led by a killed node stall.
 * Every listener binds 127.0.0.1 only, on random ports chosen once and kept across restarts.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);
  private static final int NODES = 3;
  private static final String HOST = "127.0.0.1";
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);
  /** Bounds the start, and each restart until the node is back in sync. */
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);

  private record Member(int id, int brokerPort, int controllerPort, KafkaNodeProcess process) {}

  private final Path root;
  private final Map<Integer, Member> members = new LinkedHashMap<>();
  private final String bootstrapServers;

  private EmbeddedKafkaCluster(Builder b) throws IOException {
    this.root = Files.createTempDirectory("pestream-kafka-cluster-");
    for (int id = 1; id <= NODES; id++) {
      members.put(id, new Member(id, KafkaNodeProcess.freePort(), KafkaNodeProcess.freePort(),
          new KafkaNodeProcess(root.resolve("node-" + id), true, b.heap)));
    }
    this.bootstrapServers = members.values().stream().map(m -> HOST + ":" + m.brokerPort())
        .collect(Collectors.joining(","));
    String voters = members.values().stream().map(m -> m.id() + "@" + HOST + ":" + m.controllerPort())
        .collect(Collectors.joining(","));
    for (Member m : members.values()) {
      Map<String, String> p = new LinkedHashMap<>();
      p.put("process.roles", "broker,controller");
      p.put("node.id", String.valueOf(m.id()));
      p.put("controller.quorum.voters", voters);
      p.put("listeners", "PLAINTEXT://" + HOST + ":" + m.brokerPort() + ",CONTROLLER://" + HOST + ":" + m.controllerPort());
      p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + m.brokerPort());
      p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
      p.put("log.dirs", m.process().dataDir().resolve("logs").toString());
      p.putAll(KafkaNodeProcess.commonSettings(NODES, 2));
      p.put("default.replication.factor", String.valueOf(NODES));
      p.put("min.insync.replicas", "2");
      p.put("broker.session.timeout.ms", "6000");
      p.put("broker.heartbeat.interval.ms", "1000");
      p.putAll(b.overrides);
      m.process().writeConfig(p, b.logLevel);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts a cluster with default settings and waits until all three brokers are registered. */
  public static EmbeddedKafkaCluster start() {
    return builder().start();
  }

  private EmbeddedKafkaCluster launch() {
    try {
      String clusterId = Uuid.randomUuid().toString();
      List<Process> formats = new ArrayList<>();
      for (Member m : members.values()) {
        formats.add(m.process().startFormat(clusterId, List.of()));
      }
      int i = 0;
      for (Member m : members.values()) {
        m.process().awaitFormatted(formats.get(i++));
      }
      for (Member m : members.values()) {
        m.process().launch();
      }
      KafkaNodeProcess.awaitBrokers(bootstrapServers, NODES, STARTUP_TIMEOUT, processes());
      LOG.info("Kafka cluster (KRaft, 3 combined nodes) up at {} (data in {})", bootstrapServers, root);
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("could not start the embedded Kafka cluster", e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** {@code 127.0.0.1:PORT} of every node's PLAINTEXT listener, comma-separated. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The node ids, 1 to 3. */
  public List<Integer> nodeIds() {
    return List.copyOf(members.keySet());
  }

  public boolean isAlive(int nodeId) {
    return member(nodeId).process().isAlive();
  }

  /** A node's own log (format and runtime output of its JVM). */
  public Path logFile(int nodeId) {
    return member(nodeId).process().logFile();
  }

  /** The node leading {@code topic}'s {@code partition}, once it has a leader (within 30 s). */
  public int leaderOf(String topic, int partition) {
    return Poll.until("a leader of " + topic + "-" + partition, Duration.ofSeconds(30),
        () -> partitionInfo(topic, partition).leader(), leader -> leader != null && !leader.isEmpty()).id();
  }

  /** Ids of the in-sync replicas of {@code topic}'s {@code partition}. */
  public List<Integer> inSyncReplicas(String topic, int partition) {
    return partitionInfo(topic, partition).isr().stream().map(Node::id).toList();
  }

  /** SIGKILL of a node, as a crash: no controlled shutdown. Returns once its JVM is gone. */
  public void kill(int nodeId) {
    member(nodeId).process().kill();
    LOG.info("Kafka node {} killed", nodeId);
  }

  /** Stops a node gracefully (SIGTERM: controlled shutdown, leadership moved away first). */
  public void stop(int nodeId) {
    member(nodeId).process().stop(STOP_GRACE);
    LOG.info("Kafka node {} stopped", nodeId);
  }

  /**
   * Starts a stopped or killed node again, on its ports and data, and waits until it is back in
   * the ISR of every partition it replicates (internal topics included).
   */
  public void restart(int nodeId) {
    Member m = member(nodeId);
    try {
      m.process().launch();
    } catch (IOException e) {
      throw new UncheckedIOException("could not restart Kafka node " + nodeId, e);
    }
    awaitInSync(nodeId, STARTUP_TIMEOUT);
    LOG.info("Kafka node {} restarted and in sync", nodeId);
  }

  /**
   * Restarts the nodes one after another: each stopped gracefully, started, and back in every ISR
   * before the next goes down, so no partition ever has fewer than two in-sync replicas.
   * {@code eachBack} hears each node id once it is in sync again.
   */
  public void rollingRestart(IntConsumer eachBack) {
    for (int id : members.keySet()) {
      stop(id);
      restart(id);
      eachBack.accept(id);
    }
  }

  /** Waits until node {@code nodeId} is in the ISR of every partition that has it as a replica. */
  public void awaitInSync(int nodeId, Duration timeout) {
    Poll.until("Kafka node " + nodeId + " in the ISR of all its partitions", timeout, () -> {
      member(nodeId).process().requireAlive();
      return describeAll().values().stream().flatMap(t -> t.partitions().stream()
          .filter(p -> p.replicas().stream().anyMatch(r -> r.id() == nodeId)
              && p.isr().stream().noneMatch(r -> r.id() == nodeId))
          .map(p -> t.name() + "-" + p.partition())).toList();
    }, List::isEmpty);
  }

  /** Kills every node (its data is removed anyway) and removes the cluster's directory. */
  @Override
  public void close() {
    for (Member m : members.values()) {
      m.process().kill();
      m.process().close();
    }
    KafkaNodeProcess.deleteRecursively(root);
  }

  private Member member(int nodeId) {
    Member m = members.get(nodeId);
    if (m == null) {
      throw new IllegalArgumentException("no Kafka node " + nodeId + "; have " + members.keySet());
    }
    return m;
  }

  private List<KafkaNodeProcess> processes() {
    return members.values().stream().map(Member::process).toList();
  }

  private TopicPartitionInfo partitionInfo(String topic, int partition) {
    List<TopicPartitionInfo> partitions = withAdmin(admin -> admin.describeTopics(List.of(topic))
        .allTopicNames().get(10, TimeUnit.SECONDS)).get(topic).partitions();
    if (partition < 0 || partition >= partitions.size()) {
      throw new IllegalArgumentException(topic + " has no partition " + partition);
    }
    return partitions.get(partition);
  }

  private Map<String, TopicDescription> describeAll() {
    return withAdmin(admin -> {
      Collection<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
          .get(10, TimeUnit.SECONDS);
      return admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
    });
  }

  private interface AdminCall<T> {
    T apply(Admin admin) throws InterruptedException, ExecutionException, TimeoutException;
  }

  /** Runs {@code call} on a fresh admin client (one kept open would outlive a test's leak check). */
  private <T> T withAdmin(AdminCall<T> call) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    try (Admin admin = Admin.create(props)) {
      return call.apply(admin);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("admin request to " + bootstrapServers + " failed: " + e, e);
    }
  }

  /** Options for the cluster; {@link #start()} launches it. */
  public static final class Builder {
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private String heap = "384m";
    private String logLevel = "WARN";

    /** Adds or overrides a setting ({@code server.properties} key) of every node. */
    public Builder brokerProperty(String key, String value) {
      if (key == null || key.isBlank() || value == null) {
        throw new IllegalArgumentException("broker property needs a key and a value");
      }
      overrides.put(key, value);
      return this;
    }

    /** Maximum heap of each node's JVM; default 384m. */
    public Builder heap(String heap) {
      this.heap = KafkaNodeProcess.checkHeap(heap);
      return this;
    }

    /** Root log level of the node JVMs (see {@link #logFile(int)}); default WARN. */
    public Builder logLevel(String level) {
      this.logLevel = KafkaNodeProcess.checkLogLevel(level);
      return this;
    }

    public EmbeddedKafkaCluster start() {
      try {
        return new EmbeddedKafkaCluster(this).launch();
      } catch (IOException e) {
        throw new UncheckedIOException("could not prepare the Kafka cluster's directories", e);
      }
    }
  }
}
