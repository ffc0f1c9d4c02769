package dev.pestream.testing.flink;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Starts the JVMs of a {@link FlinkProcessCluster} the way Flink's own scripts do: memory flags
 * and dynamic memory settings from {@code BashJavaUtils}, Flink's Java 17 {@code --add-opens},
 * per-process logs. Remembers every process it started, for stopping them and for log reports.
 */
final class ProcessLauncher {
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

  private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
  private static final String BASH_JAVA_UTILS_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

  /** JVM flags and dynamic memory settings of a process, computed as Flink's scripts do. */
  record Resources(List<String> jvmArgs, List<String> dynamicArgs) {}

  private final List<String> classpath;
  private final Path workDir;
  private final Path confDir;
  private final Path logDir;
  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private final Map<Process, String> names = new ConcurrentHashMap<>();

  ProcessLauncher(List<String> classpath, Path workDir, Path confDir, Path logDir) {
    this.classpath = classpath;
    this.workDir = workDir;
    this.confDir = confDir;
    this.logDir = logDir;
  }

  /** Every process started, in start order. */
  List<Process> processes() {
    return processes;
  }

  /** The name each started process was launched under. */
  Map<Process, String> names() {
    return names;
  }

  /** Runs {@code BashJavaUtils command} (GET_JM_RESOURCE_PARAMS / GET_TM_RESOURCE_PARAMS) on the written config. */
  Resources resources(String command) throws IOException {
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
    return new Resources(split(results.get(0)), split(results.get(1)));
  }

  /** Starts {@code mainClass} as process {@code name} (logs {@code <name>.log} and {@code <name>.out}). */
  Process launch(String name, String mainClass, Resources resources, Map<String, String> dynamic) {
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
      names.put(process, name);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name, e);
    }
  }

  /** The class path in the file named by {@value FlinkProcessCluster#CLASSPATH_FILE_PROPERTY}. */
  static List<String> classpathFromProperty() {
    String file = System.getProperty(FlinkProcessCluster.CLASSPATH_FILE_PROPERTY);
    if (file == null) {
      throw new IllegalStateException("system property " + FlinkProcessCluster.CLASSPATH_FILE_PROPERTY
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
}
