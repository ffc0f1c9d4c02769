package dev.pestream.testing.kafka;

import dev.pestream.testing.kafka.BrokerSecurity.Listener;
import dev.pestream.testing.kafka.BrokerSecurity.ScramUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
 * it. A shutdown hook kills the child if the parent exits without closing.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private final Path dataDir;
  private final boolean deleteDataDirOnClose;
  private final Map<String, String> overrides;
  private final Duration startupTimeout;
  private final String heap;
  private final List<Listener> listeners;
  private final List<ScramUser> scramUsers;
  private final String logLevel;
  private final Map<String, Integer> listenerPorts = new LinkedHashMap<>();

  private Process process;
  private Thread shutdownHook;
  private int brokerPort;
  private int controllerPort;
  private String bootstrapServers;

  private EmbeddedKafkaBroker(Builder b) throws IOException {
    this.deleteDataDirOnClose = b.dataDir == null;
    this.dataDir = b.dataDir != null ? b.dataDir : Files.createTempDirectory("pestream-kafka-");
    this.overrides = new LinkedHashMap<>(b.overrides);
    this.startupTimeout = b.startupTimeout;
    this.heap = b.heap;
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
    return dataDir.resolve("broker.log");
  }

  public int brokerPort() {
    return brokerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  private EmbeddedKafkaBroker launch() {
    try {
      brokerPort = freePort();
      controllerPort = freePort();
      bootstrapServers = "localhost:" + brokerPort;
      for (Listener listener : listeners) {
        listenerPorts.put(listener.name(), freePort());
      }
      Path config = writeServerProperties();
      Path log = logFile();
      List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format",
          "-t", Uuid.randomUuid().toString(), "-c", config.toString(), "--ignore-formatted"));
      for (ScramUser user : scramUsers) {
        format.add("--add-scram");
        format.add(user.formatArgument());
      }
      runToCompletion(format, log, Duration.ofSeconds(60));
      process = javaProcess(List.of("kafka.Kafka", config.toString()))
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectErrorStream(true)
          .start();
      shutdownHook = new Thread(this::killChild, "embedded-kafka-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
      awaitReady(log);
      LOG.info("Kafka broker (KRaft) up at {} (data in {})", bootstrapServers, dataDir);
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("could not start the embedded Kafka broker", e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private Path writeServerProperties() throws IOException {
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
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", protocols.toString());
    p.put("log.dirs", dataDir.resolve("logs").toString());
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("message.max.bytes", String.valueOf(2 * 1024 * 1024));
    p.putAll(overrides);
    StringBuilder sb = new StringBuilder();
    p.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    Path file = dataDir.resolve("server.properties");
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    Files.writeString(dataDir.resolve("log4j2.properties"),
        "rootLogger.level=" + logLevel + "\nrootLogger.appenderRef.console.ref=console\n"
            + "appender.console.type=Console\nappender.console.name=console\n"
            + "appender.console.layout.type=PatternLayout\n"
            + "appender.console.layout.pattern=%d %p %c{1} - %m%n\n",
        StandardCharsets.UTF_8);
    return file;
  }

  private ProcessBuilder javaProcess(List<String> mainAndArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-XX:+UseParallelGC");
    cmd.add("-Djava.io.tmpdir=" + dataDir);
    cmd.add("-Dlog4j2.configurationFile=" + dataDir.resolve("log4j2.properties"));
    cmd.add("-Dlog4j.configurationFile=" + dataDir.resolve("log4j2.properties"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.addAll(mainAndArgs);
    return new ProcessBuilder(cmd).directory(dataDir.toFile());
  }

  private void runToCompletion(List<String> mainAndArgs, Path log, Duration timeout) throws IOException {
    Process p = javaProcess(mainAndArgs)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true)
        .start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("Kafka storage format timed out; log:\n" + tail(log));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "Kafka storage format failed with exit code " + p.exitValue() + "; log:\n" + tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted while formatting Kafka storage", e);
    }
  }

  private void awaitReady(Path log) {
    long deadline = System.nanoTime() + startupTimeout.toNanos();
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Kafka broker exited with code " + process.exitValue() + " during start-up; log:\n" + tail(log));
      }
      try (Admin admin = Admin.create(props)) {
        if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (Exception e) {
        // not ready yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Kafka broker did not answer within " + startupTimeout + "; log:\n" + tail(log));
      }
      sleep(200);
    }
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 15 s) and removes its data directory. */
  @Override
  public void close() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      process = null;
    }
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running or has run
      }
      shutdownHook = null;
    }
    if (deleteDataDirOnClose) {
      deleteRecursively(dataDir);
    }
  }

  private void killChild() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
    if (deleteDataDirOnClose) {
      deleteRecursively(dataDir);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not remove {}: {}", dir, e.getMessage());
    }
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
      if (!heap.matches("\\d+[mMgG]")) {
        throw new IllegalArgumentException("heap must look like 512m or 1g, got " + heap);
      }
      this.heap = heap;
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
      if (!level.matches("TRACE|DEBUG|INFO|WARN|ERROR")) {
        throw new IllegalArgumentException("log level must be TRACE, DEBUG, INFO, WARN or ERROR, got " + level);
      }
      this.logLevel = level;
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
