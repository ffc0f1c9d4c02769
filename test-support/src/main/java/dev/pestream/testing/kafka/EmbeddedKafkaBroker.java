package dev.pestream.testing.kafka;

import dev.pestream.testing.kafka.BrokerSecurity.Listener;
import dev.pestream.testing.kafka.BrokerSecurity.ScramUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker + controller, no ZooKeeper), run as
 * a child JVM through Kafka's public entry points ({@code kafka.tools.StorageTool format}, then
 * {@code kafka.Kafka}). Random free ports, data in a temporary directory that is removed on
 * {@link #close()}. Used by the demo and by the integration tests; never by a production job.
 *
 * <p>Besides the PLAINTEXT listener (which the broker itself and test set-up use), a broker can
 * get secured {@link Listener}s, each on its own port chosen at start ({@link
 * #bootstrapServers(String)}): TLS with client certificates, SASL/SCRAM over TLS or plaintext.
 * SCRAM users are created the KRaft way, when the storage is formatted ({@code --add-scram}).
 * The listener, TLS and SCRAM types are in {@link BrokerSecurity}.
 *
 * <p>The child runs on this JVM's class path, so {@code org.apache.kafka:kafka_2.13} must be on
 * it. A shutdown hook kills the child if the parent exits without closing ({@link
 * KafkaNodeProcess}, shared with the three-node {@link EmbeddedKafkaCluster}).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private final KafkaNodeProcess node;
  private final Map<String, String> overrides;
  private final Duration startupTimeout;
  private final List<Listener> listeners;
  private final List<ScramUser> scramUsers;
  private final String logLevel;
  private final Map<String, Integer> listenerPorts = new LinkedHashMap<>();

  private int brokerPort;
  private int controllerPort;
  private String bootstrapServers;

  private EmbeddedKafkaBroker(Builder b) throws IOException {
    this.node = new KafkaNodeProcess(b.dataDir != null ? b.dataDir : Files.createTempDirectory("pestream-kafka-"),
        b.dataDir == null, b.heap);
    this.overrides = new LinkedHashMap<>(b.overrides);
    this.startupTimeout = b.startupTimeout;
    this.listeners = List.copyOf(b.listeners);
    this.scramUsers = List.copyOf(b.scramUsers);
    this.logLevel = b.logLevel;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts a broker with default settings and waits until it answers. */
  public static EmbeddedKafkaBroker start() {
    return builder().start();
  }

  /** {@code localhost:PORT} of the PLAINTEXT listener. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** {@code localhost:PORT} of the listener added as {@code listenerName}. */
  public String bootstrapServers(String listenerName) {
    Integer port = listenerPorts.get(listenerName.toUpperCase(Locale.ROOT));
    if (port == null) {
      throw new IllegalArgumentException("no listener named " + listenerName + "; have " + listenerPorts.keySet());
    }
    return "localhost:" + port;
  }

  /** The broker's own log (start-up, format and runtime output of the child JVM). */
  public Path logFile() {
    return node.logFile();
  }

  public int brokerPort() {
    return brokerPort;
  }

  public Path dataDir() {
    return node.dataDir();
  }

  public boolean isAlive() {
    return node.isAlive();
  }

  private EmbeddedKafkaBroker launch() {
    try {
      brokerPort = KafkaNodeProcess.freePort();
      controllerPort = KafkaNodeProcess.freePort();
      bootstrapServers = "localhost:" + brokerPort;
      for (Listener listener : listeners) {
        listenerPorts.put(listener.name(), KafkaNodeProcess.freePort());
      }
      node.writeConfig(serverProperties(), logLevel);
      List<String> scram = new ArrayList<>();
      for (ScramUser user : scramUsers) {
        scram.add("--add-scram");
        scram.add(user.formatArgument());
      }
      node.awaitFormatted(node.startFormat(Uuid.randomUuid().toString(), scram));
      node.launch();
      KafkaNodeProcess.awaitBrokers(bootstrapServers, 1, startupTimeout, List.of(node));
      LOG.info("Kafka broker (KRaft) up at {} (data in {})", bootstrapServers, dataDir());
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("could not start the embedded Kafka broker", e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private Map<String, String> serverProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    StringBuilder bound = new StringBuilder("PLAINTEXT://localhost:" + brokerPort);
    StringBuilder protocols = new StringBuilder("CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    for (Listener listener : listeners) {
      bound.append(',').append(listener.name()).append("://localhost:").append(listenerPorts.get(listener.name()));
      protocols.append(',').append(listener.name()).append(':').append(listener.securityProtocol());
      String prefix = "listener.name." + listener.name().toLowerCase(Locale.ROOT) + ".";
      listener.settings().forEach((k, v) -> p.put(prefix + k, v));
    }
    p.put("listeners", bound + ",CONTROLLER://localhost:" + controllerPort);
    p.put("advertised.listeners", bound.toString());
    p.put("listener.security.protocol.map", protocols.toString());
    p.put("log.dirs", dataDir().resolve("logs").toString());
    p.putAll(KafkaNodeProcess.commonSettings(1, 1));
    p.putAll(overrides);
    return p;
  }

  /**
   * Stops the broker gracefully (SIGTERM, SIGKILL after 15 s) but keeps its ports and data, so
   * that {@link #restart()} brings the same broker back: an outage, as clients see it.
   */
  public void stop() {
    node.stop(Duration.ofSeconds(15));
    LOG.info("Kafka broker at {} stopped", bootstrapServers);
  }

  /** SIGKILL, as a crash (no controlled shutdown); ports and data kept for {@link #restart()}. */
  public void kill() {
    node.kill();
    LOG.info("Kafka broker at {} killed", bootstrapServers);
  }

  /**
   * Starts a stopped or killed broker again on the same ports, config and data (no reformat) and
   * waits until it answers. The ports were free while it was down; if something else took one
   * meanwhile the broker exits and this fails with its log.
   */
  public void restart() {
    try {
      node.launch();
    } catch (IOException e) {
      throw new UncheckedIOException("could not restart the embedded Kafka broker", e);
    }
    KafkaNodeProcess.awaitBrokers(bootstrapServers, 1, startupTimeout, List.of(node));
    LOG.info("Kafka broker at {} restarted", bootstrapServers);
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 15 s) and removes its data directory. */
  @Override
  public void close() {
    node.close();
  }

  /** Options for the broker; {@link #start()} launches it. */
  public static final class Builder {
    private Path dataDir;
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private Duration startupTimeout = Duration.ofSeconds(90);
    private String heap = "512m";
    private final List<Listener> listeners = new ArrayList<>();
    private final List<ScramUser> scramUsers = new ArrayList<>();
    private String logLevel = "WARN";

    /** Keep data in this directory (not removed on close). Default: a new temp dir, removed. */
    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /**
     * Adds or overrides a broker setting ({@code server.properties} key), e.g. extra listeners
     * with SSL or SASL. The caller's listener settings replace the defaults entirely.
     */
    public Builder brokerProperty(String key, String value) {
      if (key == null || key.isBlank() || value == null) {
        throw new IllegalArgumentException("broker property needs a key and a value");
      }
      overrides.put(key, value);
      return this;
    }

    public Builder startupTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("startup timeout must be positive");
      }
      this.startupTimeout = timeout;
      return this;
    }

    /** Maximum heap of the broker JVM, e.g. {@code 512m}. */
    public Builder heap(String heap) {
      this.heap = KafkaNodeProcess.checkHeap(heap);
      return this;
    }

    /** Adds a secured listener (on a port of its own, picked at start). */
    public Builder listener(Listener listener) {
      boolean taken = listener.name().equals("PLAINTEXT") || listener.name().equals("CONTROLLER")
          || listeners.stream().anyMatch(l -> l.name().equals(listener.name()));
      if (taken) {
        throw new IllegalArgumentException("listener name " + listener.name() + " is already used");
      }
      listeners.add(listener);
      return this;
    }

    /** Creates a SCRAM user when the storage is formatted (before the broker first starts). */
    public Builder scramUser(String mechanism, String name, String password) {
      scramUsers.add(new ScramUser(mechanism, name, password));
      return this;
    }

    /** Root log level of the broker JVM (its log is {@link #logFile()}); default WARN. */
    public Builder logLevel(String level) {
      this.logLevel = KafkaNodeProcess.checkLogLevel(level);
      return this;
    }

    public EmbeddedKafkaBroker start() {
      try {
        return new EmbeddedKafkaBroker(this).launch();
      } catch (IOException e) {
        throw new UncheckedIOException("could not create the broker's data directory", e);
      }
    }
  }
}
