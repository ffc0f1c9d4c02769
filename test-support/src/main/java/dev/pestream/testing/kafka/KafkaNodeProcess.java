package dev.pestream.testing.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KRaft node (broker, controller or both) as a child JVM on this JVM's class path: its
 * {@code server.properties} and log4j2 file in its data directory, {@code StorageTool format},
 * then {@code kafka.Kafka}, which can be stopped, killed and launched again on the same config
 * and data. What {@link EmbeddedKafkaBroker} and {@link EmbeddedKafkaCluster} share.
 *
 * <p>A shutdown hook, registered for the node's life, kills the child (and removes its data when
 * the node owns it) if the parent exits without closing.
 */
final class KafkaNodeProcess implements AutoCloseable {
  private static final int LOWEST_PORT = 10_000;
  /** Linux's default first ephemeral port, where /proc does not say. */
  private static final int DEFAULT_EPHEMERAL_START = 32_768;
  private static final Random PORTS = new Random();

  private static final Logger LOG = LoggerFactory.getLogger(KafkaNodeProcess.class);
  private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);

  private final Path dataDir;
  private final boolean ownsDataDir;
  private final String heap;
  private final Thread shutdownHook;
  private volatile Process process;

  /** @param ownsDataDir remove {@code dataDir} on close (and when the parent JVM exits) */
  KafkaNodeProcess(Path dataDir, boolean ownsDataDir, String heap) {
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.heap = heap;
    this.shutdownHook = new Thread(this::killAndForget, "embedded-kafka-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Settings every embedded node gets, whatever its topology: no auto-created topics, few
   * internal partitions (fast start), no rebalance delay, 2 MiB messages, and the replication of
   * the internal topics ({@code replication} and {@code minIsr}: 1 and 1 for a lone broker).
   */
  static Map<String, String> commonSettings(int replication, int minIsr) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "false");
    p.put("offsets.topic.replication.factor", String.valueOf(replication));
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", String.valueOf(replication));
    p.put("transaction.state.log.min.isr", String.valueOf(minIsr));
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", String.valueOf(replication));
    p.put("share.coordinator.state.topic.min.isr", String.valueOf(minIsr));
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("message.max.bytes", String.valueOf(2 * 1024 * 1024));
    return p;
  }

  static String checkHeap(String heap) {
    if (!heap.matches("\\d+[mMgG]")) {
      throw new IllegalArgumentException("heap must look like 512m or 1g, got " + heap);
    }
    return heap;
  }

  static String checkLogLevel(String level) {
    if (!level.matches("TRACE|DEBUG|INFO|WARN|ERROR")) {
      throw new IllegalArgumentException("log level must be TRACE, DEBUG, INFO, WARN or ERROR, got " + level);
    }
    return level;
  }

  Path dataDir() {
    return dataDir;
  }

  Path logFile() {
    return dataDir.resolve("broker.log");
  }

  Path configFile() {
    return dataDir.resolve("server.properties");
  }

  boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Writes {@code server.properties} ({@code settings}) and the log4j2 file at {@code logLevel}. */
  void writeConfig(Map<String, String> settings, String logLevel) throws IOException {
    Files.createDirectories(dataDir);
    StringBuilder sb = new StringBuilder();
    settings.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    Files.writeString(configFile(), sb.toString(), StandardCharsets.UTF_8);
    Files.writeString(dataDir.resolve("log4j2.properties"),
        "rootLogger.level=" + logLevel + "\nrootLogger.appenderRef.console.ref=console\n"
            + "appender.console.type=Console\nappender.console.name=console\n"
            + "appender.console.layout.type=PatternLayout\n"
            + "appender.console.layout.pattern=%d %p %c{1} - %m%n\n",
        StandardCharsets.UTF_8);
  }

  /**
   * Starts {@code StorageTool format} for cluster {@code clusterId} ({@code extraArgs}, e.g. SCRAM
   * users, appended); {@link #awaitFormatted} waits for it, so that several nodes format at once.
   */
  Process startFormat(String clusterId, List<String> extraArgs) throws IOException {
    List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format",
        "-t", clusterId, "-c", configFile().toString(), "--ignore-formatted"));
    format.addAll(extraArgs);
    return javaProcess(format).start();
  }

  void awaitFormatted(Process format) {
    try {
      if (!format.waitFor(FORMAT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        format.destroyForcibly();
        throw new IllegalStateException("Kafka storage format timed out; log:\n" + tail());
      }
      if (format.exitValue() != 0) {
        throw new IllegalStateException(
            "Kafka storage format failed with exit code " + format.exitValue() + "; log:\n" + tail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      format.destroyForcibly();
      throw new IllegalStateException("interrupted while formatting Kafka storage", e);
    }
  }

  /** Starts {@code kafka.Kafka} on the written config and formatted data (again after a stop or kill). */
  void launch() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException("the node in " + dataDir + " is already running");
    }
    process = javaProcess(List.of("kafka.Kafka", configFile().toString())).start();
  }

  /** SIGTERM (a controlled shutdown: leadership moves first), SIGKILL if it is not gone by {@code grace}. */
  void stop(Duration grace) {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("Kafka node in {} did not stop within {}; killing it", dataDir, grace);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    process = null;
  }

  /** SIGKILL, as a crash: no controlled shutdown, no flush. Returns once the process is gone. */
  void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    try {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Stops the node (15 s grace) and removes its data if it owns it. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(15));
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or has run
    }
    if (ownsDataDir) {
      deleteRecursively(dataDir);
    }
  }

  private void killAndForget() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
    if (ownsDataDir) {
      deleteRecursively(dataDir);
    }
  }

  /** Fails with the node's log if its JVM has exited (start-up checks call this while polling). */
  void requireAlive() {
    Process p = process;
    if (p != null && !p.isAlive()) {
      throw new IllegalStateException(
          "Kafka node in " + dataDir + " exited with code " + p.exitValue() + "; log:\n" + tail());
    }
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
    return new ProcessBuilder(cmd).directory(dataDir.toFile())
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
        .redirectErrorStream(true);
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * Waits until {@code bootstrapServers} reports at least {@code brokers} registered brokers,
   * failing early with a node's log if one of {@code nodes} exits meanwhile.
   */
  static void awaitBrokers(String bootstrapServers, int brokers, Duration timeout, List<KafkaNodeProcess> nodes) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    while (true) {
      nodes.forEach(KafkaNodeProcess::requireAlive);
      try (Admin admin = Admin.create(props)) {
        if (admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size() >= brokers) {
          return;
        }
      } catch (Exception e) {
        // not ready yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Kafka did not report " + brokers + " broker(s) at " + bootstrapServers
            + " within " + timeout + "; log of the first node:\n" + nodes.get(0).tail());
      }
      sleep(200);
    }
  }

  /**
   * A free loopback port below the kernel's ephemeral range. Ports are chosen before the nodes
   * start (the quorum lists them all) and kept across restarts; one from the ephemeral range could
   * meanwhile be taken as the local port of some outgoing connection, e.g. between the other nodes,
   * and the node would fail to bind it.
   */
  static int freePort() throws IOException {
    int ephemeralStart = ephemeralPortsStart();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = LOWEST_PORT + PORTS.nextInt(ephemeralStart - LOWEST_PORT);
      try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port between " + LOWEST_PORT + " and " + ephemeralStart);
  }

  private static int ephemeralPortsStart() {
    try {
      int start = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
      return start > LOWEST_PORT + 1000 ? start : DEFAULT_EPHEMERAL_START;
    } catch (IOException | RuntimeException e) {
      return DEFAULT_EPHEMERAL_START;
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not remove {}: {}", dir, e.getMessage());
    }
  }
}
