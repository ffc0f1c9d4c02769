package dev.pestream.jobs.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The local MiniCluster of a {@code pestream run} outside a cluster, and of the demo. Flink gives a
 * local run's REST endpoint a random port and reports it nowhere, so a local environment gets a
 * known port (8081 when free, as a Flink cluster uses) and the CLI can say where to look. Flink
 * binds its servers (REST, blob server, RPC, data exchange) to every interface by default; a
 * local run is nobody else's business, so it binds them to the loopback address unless the
 * settings name an address.
 */
public final class LocalFlink {
  static final String LOOPBACK = "127.0.0.1";

  /** A class of flink-runtime-web, the jar that adds the web UI to the REST endpoint. */
  static final String WEB_UI_CLASS = "org.apache.flink.runtime.webmonitor.WebSubmissionExtension";

  private LocalFlink() {}

  /**
   * {@code env} itself on a cluster; otherwise a local one on the loopback address with a known
   * REST port (the settings' own port, if they name one).
   */
  static StreamExecutionEnvironment forLocalRun(StreamExecutionEnvironment env, Configuration flinkSettings) {
    if (!(env instanceof LocalStreamEnvironment)) {
      return env;
    }
    Configuration local = loopbackOnly(flinkSettings);
    try {
      fileCheckpoints(local, Files.createTempDirectory("pestream-checkpoints-"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a folder for the local run's checkpoints", e);
    }
    if (!flinkSettings.contains(RestOptions.BIND_PORT)) {
      local.set(RestOptions.PORT, freePort());
    }
    return StreamExecutionEnvironment.createLocalEnvironment(local);
  }

  /** {@code settings} with every server of a local MiniCluster on the loopback address, where they name none. */
  public static Configuration loopbackOnly(Configuration settings) {
    Configuration local = new Configuration(settings);
    for (ConfigOption<String> address : List.of(RestOptions.BIND_ADDRESS, RestOptions.ADDRESS,
        JobManagerOptions.BIND_HOST, JobManagerOptions.ADDRESS, TaskManagerOptions.BIND_HOST, TaskManagerOptions.HOST)) {
      if (!settings.contains(address)) {
        local.set(address, LOOPBACK);
      }
    }
    return local;
  }

  /**
   * {@code local} keeping checkpoints as files in {@code dir}, unless the settings name a checkpoint
   * storage or folder. Flink's default for a MiniCluster keeps them in JobManager memory, which fails
   * every checkpoint once one subtask's state passes 5 MB: the feature caches of about 15 streams.
   */
  public static Configuration fileCheckpoints(Configuration local, Path dir) {
    if (!local.contains(CheckpointingOptions.CHECKPOINT_STORAGE) && !local.contains(CheckpointingOptions.CHECKPOINTS_DIRECTORY)) {
      local.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
      local.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
    }
    return local;
  }

  /** Where a local run's web UI (or, without flink-runtime-web, its REST API) answers; empty on a cluster. */
  static Optional<String> endpoint(StreamExecutionEnvironment env) {
    if (!(env instanceof LocalStreamEnvironment)) {
      return Optional.empty();
    }
    String port = env.getConfiguration().get(RestOptions.BIND_PORT);
    if (port == null || !port.matches("\\d+") || port.equals("0")) {
      return Optional.empty(); // a port range or a random port: the bound port is not known here
    }
    String url = "http://" + env.getConfiguration().getOptional(RestOptions.ADDRESS).orElse("localhost") + ":" + port;
    return Optional.of(webUiOnClassPath() ? "Flink web UI: " + url
        : "Flink REST API: " + url + "/jobs (no web UI: flink-runtime-web is not on the class path)");
  }

  static boolean webUiOnClassPath() {
    try {
      Class.forName(WEB_UI_CLASS, false, LocalFlink.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static int freePort() {
    for (int port : new int[] {RestOptions.PORT.defaultValue(), 0}) {
      try (ServerSocket probe = new ServerSocket(port)) {
        return probe.getLocalPort();
      } catch (IOException busy) {
        // 8081 taken (another Flink?): any free port will do
      }
    }
    throw new IllegalStateException("no free port for the local Flink REST endpoint");
  }
}
