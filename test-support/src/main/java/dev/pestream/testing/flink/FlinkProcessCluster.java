package dev.pestream.testing.flink;

import dev.pestream.testing.Poll;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.util.FileUtils;
import org.apache.flink.util.NetUtils;

/**
 * A standalone Flink session cluster as separate OS processes, from the Maven jars (flink-dist is
 * not published): one JobManager ({@code StandaloneSessionClusterEntrypoint}, with the REST API and
 * web submission) and N TaskManagers ({@code TaskManagerRunner}), started the way Flink's own
 * scripts start them: JVM memory flags computed by {@code BashJavaUtils}, Flink's Java 17
 * {@code --add-opens}, one {@code config.yaml}, per-process logs.
 *
 * <p>The class path of every process is the file named by {@value #CLASSPATH_FILE_PROPERTY}
 * (flink-lib's {@code flink-cluster.classpath}: Flink itself plus what PE Stream puts in lib/, ONNX
 * Runtime and JavaCPP/FFmpeg). Jobs arrive as jars through the REST API, so a job runs in a
 * user-code class loader exactly as in production.
 *
 * <p>TaskManagers can be killed with SIGKILL and replaced. {@link #close()} stops every process
 * (SIGTERM, then SIGKILL) and removes the working directory; a shutdown hook kills the processes
 * if the test JVM exits first.
 */
public final class FlinkProcessCluster implements AutoCloseable {
  /** System property: file holding the cluster processes' class path (path-separator separated). */
  public static final String CLASSPATH_FILE_PROPERTY = "pestream.cluster.classpath-file";
  /** System property: keep the working directory (config, logs, checkpoints) after close. */
  public static final String KEEP_DIR_PROPERTY = "pestream.cluster.keep-dir";

  /** The JVM flags Flink's own conf/config.yaml sets for Java 17 ({@code env.java.opts.all}). */
  static final List<String> FLINK_JAVA17_OPTS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  /**
   * Environment of every process. ONNX Runtime 1.29's POSIX telemetry (on unless this is set)
   * sends events to Microsoft, and on a 1 MB-stack thread it crashes the JVM with SIGSEGV at
   * OrtEnvironment creation when the process's command line is longer than about 4 KB, as a Flink
   * process's is (deploy/README.md).
   */
  static final Map<String, String> PROCESS_ENVIRONMENT = Map.of("ORT_DISABLE_TELEMETRY", "1");

  private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
  private static final String BASH_JAVA_UTILS_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
  private static final Pattern PROMETHEUS_REPORTER =
      Pattern.compile("metrics\\.reporter\\.([^.]+)\\.factory\\.class");
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
  private static final String PROMETHEUS_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  /** A running TaskManager process: its resource id (as the REST API lists it) and metrics port. */
  public record TaskManager(String resourceId, Process process, int metricsPort) {
    public boolean isAlive() {
      return process.isAlive();
    }
  }

  private final Builder settings;
  private final List<String> classpath;
  private final Map<String, String> config = new LinkedHashMap<>();
  private final List<TaskManager> taskManagers = new ArrayList<>();
  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private final Map<Process, String> processNames = new java.util.concurrent.ConcurrentHashMap<>();
  private Path workDir;
  private Path confDir;
  private Path logDir;
  private Process jobManager;
  private int jobManagerMetricsPort;
  private String prometheusReporter;
  private ProcessResources taskManagerResources;
  private FlinkRestClient rest;
  private Thread shutdownHook;
  private int taskManagersStarted;

  private FlinkProcessCluster(Builder settings) {
    this.settings = settings;
    this.classpath = classpathFromProperty();
  }

  public static Builder builder() {
    return new Builder();
  }

  public FlinkRestClient rest() {
    return rest;
  }

  /** {@code http://localhost:PORT} of the REST API and web UI. */
  public URI restUrl() {
    return rest.baseUri();
  }

  /** Where savepoints go by default ({@code execution.checkpointing.savepoint-dir}). */
  public String savepointDir() {
    return config.get("execution.checkpointing.savepoint-dir");
  }

  /** The TaskManager processes started and not killed, oldest first. */
  public List<TaskManager> taskManagers() {
    return taskManagers.stream().filter(TaskManager::isAlive).toList();
  }

  /** The Prometheus endpoints of the JobManager and of every live TaskManager. */
  public List<URI> metricsEndpoints() {
    if (prometheusReporter == null) {
      throw new IllegalStateException("no Prometheus reporter is configured");
    }
    List<URI> endpoints = new ArrayList<>();
    endpoints.add(URI.create("http://localhost:" + jobManagerMetricsPort + "/metrics"));
    taskManagers().forEach(tm -> endpoints.add(URI.create("http://localhost:" + tm.metricsPort() + "/metrics")));
    return endpoints;
  }

  private FlinkProcessCluster start() {
    try {
      workDir = Files.createTempDirectory("pestream-flink-cluster-");
      confDir = Files.createDirectories(workDir.resolve("conf"));
      logDir = Files.createDirectories(workDir.resolve("log"));
      Files.createDirectories(workDir.resolve("plugins")); // Flink's default plugins dir, relative to the working dir
      shutdownHook = new Thread(this::killAll, "flink-process-cluster-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);

      int restPort = freePort();
      config.putAll(baseConfig(restPort, freePort()));
      config.putAll(settings.config);
      prometheusReporter = prometheusReporterName(config);
      writeConfig();

      ProcessResources jobManagerResources = resources("GET_JM_RESOURCE_PARAMS");
      taskManagerResources = resources("GET_TM_RESOURCE_PARAMS");
      rest = new FlinkRestClient(URI.create("http://localhost:" + restPort));

      jobManagerMetricsPort = freePort();
      jobManager = launch("jobmanager", JOB_MANAGER_MAIN, jobManagerResources, processConfig("jobmanager", jobManagerMetricsPort));
      Poll.until("the JobManager's REST API", STARTUP_TIMEOUT, () -> {
        requireAlive(jobManager, "jobmanager");
        return rest.overview();
      }, overview -> true);
      for (int i = 0; i < settings.taskManagers; i++) {
        startTaskManager();
      }
      awaitTaskManagers(settings.taskManagers);
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("could not start the Flink cluster", e);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** Starts one more TaskManager process (does not wait for it to register). */
  public TaskManager startTaskManager() {
    String id = "tm-" + (++taskManagersStarted);
    int metricsPort = freePort();
    Map<String, String> dynamic = processConfig(id, metricsPort);
    dynamic.put("taskmanager.resource-id", id);
    TaskManager tm = new TaskManager(id, launch(id, TASK_MANAGER_MAIN, taskManagerResources, dynamic), metricsPort);
    taskManagers.add(tm);
    return tm;
  }

  /** Waits until exactly {@code count} TaskManagers are registered with the JobManager. */
  public void awaitTaskManagers(int count) {
    Poll.until(count + " registered TaskManagers", STARTUP_TIMEOUT, () -> {
      requireAlive(jobManager, "jobmanager");
      return rest.overview().path("taskmanagers").asInt();
    }, registered -> registered == count);
  }

  /** Kills a TaskManager process with SIGKILL (no shutdown hooks, no goodbye to the JobManager). */
  public void kill(TaskManager tm) {
    Process process = tm.process();
    process.destroyForcibly(); // SIGKILL on Linux and macOS
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(tm.resourceId() + " survived SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** A TaskManager killed and the one started in its place. */
  public record Replacement(TaskManager victim, TaskManager replacement) {}

  /**
   * Kills (SIGKILL) one of the TaskManagers that run tasks of {@code jobId}, picked by {@code
   * random}, starts a replacement and waits until the JobManager has dropped the victim and
   * registered the replacement. The job's recovery is the caller's to wait for.
   */
  public Replacement killAndReplaceTaskManagerOf(String jobId, Random random, Duration timeout) {
    Set<String> runningOn = rest.taskManagersOf(jobId);
    List<TaskManager> candidates = taskManagers().stream().filter(tm -> runningOn.contains(tm.resourceId())).toList();
    if (candidates.isEmpty()) {
      throw new IllegalStateException("no TaskManager runs tasks of job " + jobId);
    }
    TaskManager victim = candidates.get(random.nextInt(candidates.size()));
    kill(victim);
    TaskManager replacement = startTaskManager();
    Set<String> expected = taskManagers().stream().map(TaskManager::resourceId).collect(Collectors.toSet());
    Poll.until("the JobManager to drop " + victim.resourceId() + " and register " + replacement.resourceId(),
        timeout, () -> new HashSet<>(rest.taskManagerIds()), expected::equals);
    return new Replacement(victim, replacement);
  }

  /** Each process's state and the last lines of every process log, for a failing test's report. */
  public String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    processNames.forEach((process, name) -> sb.append(name).append(": ")
        .append(process.isAlive() ? "running" : "exited with code " + process.exitValue()).append('\n'));
    try (Stream<Path> logs = Files.list(logDir)) {
      for (Path log : logs.sorted().toList()) {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        sb.append("==== ").append(log.getFileName()).append(" (last ").append(lines).append(" lines)\n");
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> sb.append(l).append('\n'));
      }
    } catch (IOException e) {
      sb.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
    }
    return sb.toString();
  }

  /** Copies the process logs and the configuration to {@code target} (kept after close). */
  public void copyLogsTo(Path target) throws IOException {
    Files.createDirectories(target);
    for (Path dir : List.of(logDir, confDir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** Stops every process (SIGTERM, SIGKILL after 15 s) and removes the working directory. */
  @Override
  public void close() {
    List<Process> running = new ArrayList<>(processes);
    Collections.reverse(running); // TaskManagers before the JobManager
    running.forEach(Process::destroy);
    for (Process process : running) {
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook runs anyway
      }
      shutdownHook = null;
    }
    if (workDir != null && !Boolean.getBoolean(KEEP_DIR_PROPERTY)) {
      FileUtils.deleteDirectoryQuietly(workDir.toFile());
    }
  }

  private void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  private Map<String, String> baseConfig(int restPort, int rpcPort) {
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
    c.put("taskmanager.numberOfTaskSlots", String.valueOf(settings.slotsPerTaskManager));
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

  /** Per-process settings: own temp dirs and, with a Prometheus reporter, an own metrics port. */
  private Map<String, String> processConfig(String name, int metricsPort) {
    Map<String, String> dynamic = new LinkedHashMap<>();
    dynamic.put("io.tmp.dirs", workDir.resolve("tmp").resolve(name).toString());
    if (prometheusReporter != null) {
      dynamic.put("metrics.reporter." + prometheusReporter + ".port", String.valueOf(metricsPort));
    }
    return dynamic;
  }

  private static String prometheusReporterName(Map<String, String> config) {
    for (Map.Entry<String, String> e : config.entrySet()) {
      Matcher m = PROMETHEUS_REPORTER.matcher(e.getKey());
      if (m.matches() && PROMETHEUS_FACTORY.equals(e.getValue())) {
        return m.group(1);
      }
    }
    return null;
  }

  private void writeConfig() throws IOException {
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

  /** JVM flags and dynamic memory settings of a process, computed as Flink's scripts do. */
  private record ProcessResources(List<String> jvmArgs, List<String> dynamicArgs) {}

  private ProcessResources resources(String command) throws IOException {
    Path out = logDir.resolve("bash-java-utils-" + command.toLowerCase() + ".out");
    List<String> cmd = new ArrayList<>(List.of(javaExecutable(), "-cp", String.join(File.pathSeparator, classpath),
        BASH_JAVA_UTILS, command, "--configDir", confDir.toString()));
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("BashJavaUtils " + command + " failed:\n" + Files.readString(out));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted", e);
    }
    List<String> results = Files.readAllLines(out).stream()
        .filter(l -> l.startsWith(BASH_JAVA_UTILS_PREFIX))
        .map(l -> l.substring(BASH_JAVA_UTILS_PREFIX.length()).trim())
        .toList();
    if (results.size() != 2) {
      throw new IllegalStateException("BashJavaUtils " + command + " printed " + results.size()
          + " result lines, expected 2:\n" + Files.readString(out));
    }
    return new ProcessResources(split(results.get(0)), split(results.get(1)));
  }

  private Process launch(String name, String mainClass, ProcessResources resources, Map<String, String> dynamic) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable());
    cmd.addAll(resources.jvmArgs());
    cmd.addAll(FLINK_JAVA17_OPTS);
    cmd.add("-XX:ErrorFile=" + logDir.resolve(name + "-hs_err_pid%p.log"));
    cmd.add("-Dlog.file=" + logDir.resolve(name + ".log"));
    cmd.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
    cmd.add("-Djava.io.tmpdir=" + workDir.resolve("tmp").resolve(name));
    // Native-library caches (JavaCPP) shared with the test JVM, so FFmpeg is extracted once.
    String javacppCache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (javacppCache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + javacppCache);
    }
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, classpath));
    cmd.add(mainClass);
    cmd.add("--configDir");
    cmd.add(confDir.toString());
    cmd.addAll(resources.dynamicArgs());
    dynamic.forEach((k, v) -> {
      cmd.add("-D");
      cmd.add(k + "=" + v);
    });
    try {
      Files.createDirectories(workDir.resolve("tmp").resolve(name));
      ProcessBuilder builder = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
          .redirectOutput(logDir.resolve(name + ".out").toFile());
      builder.environment().putAll(PROCESS_ENVIRONMENT);
      Process process = builder.start();
      processes.add(process);
      processNames.put(process, name);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name, e);
    }
  }

  private void requireAlive(Process process, String name) {
    if (!process.isAlive()) {
      throw new AssertionError(name + " exited with code " + process.exitValue() + "\n" + logTails(60));
    }
  }

  private static List<String> classpathFromProperty() {
    String file = System.getProperty(CLASSPATH_FILE_PROPERTY);
    if (file == null) {
      throw new IllegalStateException("system property " + CLASSPATH_FILE_PROPERTY
          + " is not set: run the cluster tests through Maven (mvn -pl tests -am verify)");
    }
    try {
      List<String> entries = Arrays.stream(Files.readString(Path.of(file)).trim().split(File.pathSeparator))
          .filter(s -> !s.isBlank()).toList();
      if (entries.isEmpty()) {
        throw new IllegalStateException(file + " lists no jars");
      }
      return entries;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster class path " + file
          + " (built by flink-lib: mvn -pl tests -am verify)", e);
    }
  }

  private static List<String> split(String args) {
    return Arrays.stream(args.split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  private static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() {
    try (NetUtils.Port port = NetUtils.getAvailablePort()) {
      return port.getPort();
    } catch (Exception e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /** Cluster settings; {@link #start()} launches the processes and waits until all TaskManagers registered. */
  public static final class Builder {
    private int taskManagers = 2;
    private int slotsPerTaskManager = 1;
    private final Map<String, String> config = new LinkedHashMap<>();

    public Builder taskManagers(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("a cluster needs at least one TaskManager");
      }
      this.taskManagers = count;
      return this;
    }

    public Builder slotsPerTaskManager(int slots) {
      if (slots < 1) {
        throw new IllegalArgumentException("a TaskManager needs at least one slot");
      }
      this.slotsPerTaskManager = slots;
      return this;
    }

    /** Adds or overrides a Flink configuration key (config.yaml) for every process. */
    public Builder config(String key, String value) {
      if (key == null || key.isBlank() || value == null) {
        throw new IllegalArgumentException("a config entry needs a key and a value");
      }
      config.put(key, value);
      return this;
    }

    public Builder config(Map<String, String> entries) {
      entries.forEach(this::config);
      return this;
    }

    public FlinkProcessCluster start() {
      return new FlinkProcessCluster(this).start();
    }
  }
}
