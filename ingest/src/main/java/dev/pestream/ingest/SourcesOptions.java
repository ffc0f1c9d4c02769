package dev.pestream.ingest;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options of {@code pestream ingest --sources FILE} (many streams in one process). */
public final class SourcesOptions {
  @Option(
      names = "--sources",
      paramLabel = "FILE",
      description = "YAML file of streams to ingest at once, instead of SOURCE and --stream-id (ingest/README.md,"
          + " 'Many sources'); edits are applied while running.")
  Path file;

  @Option(
      names = "--metrics-port",
      defaultValue = "-1",
      description = "With --sources: serve per-stream Prometheus metrics at http://HOST:PORT/metrics; 0 = any free"
          + " port, -1 = off (default ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(
      names = "--status-interval",
      converter = DurationConverter.class,
      description = "With --sources: how often the per-stream status lines are printed (default 1s on a terminal,"
          + " 30s otherwise).")
  Duration statusInterval;

  @Option(
      names = "--reload-interval",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "With --sources: how often the file is checked for edits (default ${DEFAULT-VALUE}).")
  Duration reloadInterval;
}
