package dev.pestream.testing.flink;

import dev.pestream.testing.Poll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.util.FileUtils;
import org.apache.flink.util.NetUtils;

/**
 * A standalone Flink session cluster as separate OS processes, from the Maven jars (flink-dist is
 * not published): one JobManager ({@code StandaloneSessionClusterEntrypoint}, with the REST API and
 * web submission) and N TaskManagers ({@code TaskManagerRunner}), started the way Flink's own
 * scripts start them: JVM memory flags computed by {@code BashJavaUtils}, Flink's Java 17
 * {@code --add-opens}, one {@code config.yaml}, per-process logs ({@link ClusterConfig} writes
 * the configuration, {@link ProcessLauncher} starts the JVMs).
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

  private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);

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
  private ProcessLauncher launcher;
  private Path workDir;
  private Path confDir;
  private Path logDir;
  private Process jobManager;
  private int jobManagerMetricsPort;
  private String prometheusReporter;
  private ProcessLauncher.Resources taskManagerResources;
  private FlinkRestClient rest;
  private Thread shutdownHook;
  private int taskManagersStarted;

  private FlinkProcessCluster(Builder settings) {
    this.settings = settings;
    this.classpath = ProcessLauncher.classpathFromProperty();
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
      launcher = new ProcessLauncher(classpath, workDir, confDir, logDir);
      shutdownHook = new Thread(this::killAll, "flink-process-cluster-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);

      int restPort = freePort();
      config.putAll(ClusterConfig.base(workDir, restPort, freePort(), settings.slotsPerTaskManager));
      config.putAll(settings.config);
      prometheusReporter = ClusterConfig.prometheusReporterName(config);
      ClusterConfig.write(confDir, config);

      ProcessLauncher.Resources jobManagerResources = launcher.resources("GET_JM_RESOURCE_PARAMS");
      taskManagerResources = launcher.resources("GET_TM_RESOURCE_PARAMS");
      rest = new FlinkRestClient(URI.create("http://localhost:" + restPort));

      jobManagerMetricsPort = freePort();
      jobManager = launcher.launch("jobmanager", JOB_MANAGER_MAIN, jobManagerResources,
          ClusterConfig.perProcess(workDir, prometheusReporter, "jobmanager", jobManagerMetricsPort));
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
    Map<String, String> dynamic = ClusterConfig.perProcess(workDir, prometheusReporter, id, metricsPort);
    dynamic.put("taskmanager.resource-id", id);
    TaskManager tm = new TaskManager(id, launcher.launch(id, TASK_MANAGER_MAIN, taskManagerResources, dynamic),
        metricsPort);
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
    launcher.names().forEach((process, name) -> sb.append(name).append(": ")
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
    List<Process> running = launcher == null ? new ArrayList<>() : new ArrayList<>(launcher.processes());
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
    launcher.processes().forEach(Process::destroyForcibly);
  }

  private void requireAlive(Process process, String name) {
    if (!process.isAlive()) {
      throw new AssertionError(name + " exited with code " + process.exitValue() + "\n" + logTails(60));
    }
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
