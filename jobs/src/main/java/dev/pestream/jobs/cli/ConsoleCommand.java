package dev.pestream.jobs.cli;

import dev.pestream.console.BearerToken;
import dev.pestream.console.Console;
import dev.pestream.console.ConsoleOptions;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.run.Preflight;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pestream console}: the live console (page + JSON API) over a running job's output topics. */
@Command(name = "console", mixinStandardHelpOptions = true,
    description = "Serve the live console: every stream's timeline in a browser, search across streams"
        + " with the bundle's text heads, alert rules and tag vocabularies (docs/console.md). Runs until Ctrl-C.")
public final class ConsoleCommand implements Callable<Integer> {
  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers of the job.")
  String bootstrap;

  @Option(names = "--models", paramLabel = "DIR|NAME", required = true,
      description = "The job's model bundle: a folder, or a name installed by 'pestream models pull'"
          + " (its text encoder turns queries into embeddings).")
  Path bundle;

  @Option(names = "--index-dir", paramLabel = "DIR",
      description = "Folder of the vector index (kept across restarts; delete it to rebuild from the topics). Default: a temp folder.")
  Path indexDir;

  @Option(names = "--port", paramLabel = "N", description = "HTTP port (default ${DEFAULT-VALUE}; 0 = any free port).")
  int port = ConsoleOptions.PORT.defaultValue();

  @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only).")
  String bind = ConsoleOptions.BIND.defaultValue();

  @Option(names = "--token", paramLabel = "env:NAME|file:PATH", description = "Require this bearer token on /api (never logged).")
  String token;

  @Option(names = "--horizon", paramLabel = "DURATION", description = "How long results stay on the timelines (default 24h), e.g. 6h.")
  Duration horizon = ConsoleOptions.TIMELINE_HORIZON.defaultValue();

  @Option(names = "--config", paramLabel = "FILE", description = "The job's YAML settings (topics.*, kafka.*, records.*).")
  Path configFile;

  @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Override one job setting (e.g. topics.spans=...,"
      + " records.registry.url=URL to read registry-framed records; records.wire-format=registry to write rules so).", mapFallbackValue = "")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    Preflight.readableFile(configFile, "--config");
    JobConfig config = Preflight.setting(() -> JobConfig.load(configFile, settings()),
        "see 'pestream run --help' for the job settings");
    Path bundleDir = Preflight.bundle(bundle);
    BearerToken required = token == null ? null : Preflight.setting(() -> BearerToken.resolve(token), "see 'pestream console --help'");
    ConsoleSettings settings = Preflight.setting(() -> ConsoleLauncher.settings(config, bundleDir, indexDir())
        .port(port).bind(bind).horizon(horizon).token(required).build(), "see 'pestream console --help'");
    Preflight.broker(config);
    CountDownLatch stop = StopSignals.install();
    try (Console console = ConsoleLauncher.start(settings)) {
      System.out.println("Console: " + console.url() + "  (Ctrl-C to stop)");
      stop.await();
      System.out.println("Stopping the console ...");
    }
    return 0;
  }

  private Path indexDir() {
    try {
      return indexDir != null ? Files.createDirectories(indexDir) : Files.createTempDirectory("pestream-console-index-");
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot create the index folder: " + e.getMessage(), e);
    }
  }

  private Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>(overrides);
    if (bootstrap != null) {
      s.put("kafka.bootstrap-servers", bootstrap);
    }
    return s;
  }
}
