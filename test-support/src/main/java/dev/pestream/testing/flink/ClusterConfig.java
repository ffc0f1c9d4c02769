package dev.pestream.testing.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of a {@link FlinkProcessCluster}: the shared {@code config.yaml} and log4j
 * file every process reads from its {@code --configDir}, and the dynamic settings ({@code -D})
 * that differ per process.
 */
final class ClusterConfig {
  private static final Pattern PROMETHEUS_REPORTER =
      Pattern.compile("metrics\\.reporter\\.([^.]+)\\.factory\\.class");
  private static final String PROMETHEUS_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  private ClusterConfig() {}

  /** The settings every cluster starts from; the builder's entries go on top. */
  static Map<String, String> base(Path workDir, int restPort, int rpcPort, int slotsPerTaskManager) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "localhost");
    c.put("jobmanager.rpc.port", String.valueOf(rpcPort));
    c.put("jobmanager.bind-host", "localhost");
    c.put("taskmanager.bind-host", "localhost");
    c.put("taskmanager.host", "localhost");
    c.put("rest.address", "localhost");
    c.put("rest.bind-address", "localhost");
    c.put("rest.port", String.valueOf(restPort));
    c.put("web.upload.dir", workDir.resolve("web-upload").toString());
    c.put("taskmanager.numberOfTaskSlots", String.valueOf(slotsPerTaskManager));
    // Small processes: a test machine runs the JobManager, several TaskManagers and a broker.
    c.put("jobmanager.memory.process.size", "640m");
    c.put("jobmanager.memory.jvm-metaspace.size", "160m");
    c.put("jobmanager.memory.jvm-overhead.min", "64m");
    c.put("taskmanager.memory.process.size", "640m");
    c.put("taskmanager.memory.jvm-metaspace.size", "160m");
    c.put("taskmanager.memory.jvm-overhead.min", "64m");
    c.put("taskmanager.memory.managed.size", "16m");
    c.put("taskmanager.memory.network.min", "16m");
    c.put("taskmanager.memory.network.max", "16m");
    // Fast registration and failure detection (STACK.md: start-up ~15 s -> ~5 s); a killed
    // TaskManager is declared lost after two failed heartbeat RPCs.
    c.put("cluster.registration.initial-timeout", "500ms");
    c.put("cluster.registration.error-delay", "500ms");
    c.put("heartbeat.interval", "1s");
    c.put("heartbeat.timeout", "10s");
    c.put("restart-strategy.type", "fixed-delay");
    c.put("restart-strategy.fixed-delay.attempts", "30");
    c.put("restart-strategy.fixed-delay.delay", "1s");
    c.put("state.backend.type", "hashmap");
    c.put("execution.checkpointing.dir", workDir.resolve("checkpoints").toUri().toString());
    c.put("execution.checkpointing.savepoint-dir", workDir.resolve("savepoints").toUri().toString());
    return c;
  }

  /** Name of the configured Prometheus reporter, or null when there is none. */
  static String prometheusReporterName(Map<String, String> config) {
    for (Map.Entry<String, String> e : config.entrySet()) {
      Matcher m = PROMETHEUS_REPORTER.matcher(e.getKey());
      if (m.matches() && PROMETHEUS_FACTORY.equals(e.getValue())) {
        return m.group(1);
      }
    }
    return null;
  }

  /**
   * Per-process settings: own temp dirs and, with a Prometheus reporter, an own metrics port
   * (the processes share one host, so one port each).
   */
  static Map<String, String> perProcess(Path workDir, String prometheusReporter, String name, int metricsPort) {
    Map<String, String> dynamic = new LinkedHashMap<>();
    dynamic.put("io.tmp.dirs", workDir.resolve("tmp").resolve(name).toString());
    if (prometheusReporter != null) {
      dynamic.put("metrics.reporter." + prometheusReporter + ".port", String.valueOf(metricsPort));
    }
    return dynamic;
  }

  /** Writes {@code config.yaml} (flat keys, quoted values) and {@code log4j.properties} to {@code confDir}. */
  static void write(Path confDir, Map<String, String> config) throws IOException {
    StringBuilder yaml = new StringBuilder("# Written by FlinkProcessCluster (flat keys).\n");
    config.forEach((k, v) -> yaml.append(k).append(": '").append(v.replace("'", "''")).append("'\n"));
    Files.writeString(confDir.resolve("config.yaml"), yaml.toString(), StandardCharsets.UTF_8);
    Files.writeString(confDir.resolve("log4j.properties"), String.join("\n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = file",
        "appender.file.type = File",
        "appender.file.name = file",
        "appender.file.fileName = ${sys:log.file}",
        "appender.file.layout.type = PatternLayout",
        "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1} - %m%n",
        "logger.kafka.name = org.apache.kafka",
        "logger.kafka.level = WARN",
        ""), StandardCharsets.UTF_8);
  }
}
