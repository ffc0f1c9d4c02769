package dev.pestream.jobs.cli;

import dev.pestream.console.Console;
import dev.pestream.console.ConsoleSettings;
import dev.pestream.console.ConsoleTopics;
import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.jobs.run.CliError;
import dev.pestream.jobs.run.ExitCode;
import java.net.BindException;
import java.nio.file.Path;

/** The console on the job's topics and Kafka settings, for {@code pestream console} and {@code demo --console}. */
final class ConsoleLauncher {
  private ConsoleLauncher() {}

  static ConsoleTopics topics(JobConfig c) {
    return new ConsoleTopics(c.get(PerceptionOptions.TOPIC_EMBEDDINGS), c.get(PerceptionOptions.TOPIC_SPANS),
        c.get(PerceptionOptions.TOPIC_ALERTS), c.get(PerceptionOptions.TOPIC_TAGS), c.get(PerceptionOptions.TOPIC_CAPTIONS),
        c.get(PerceptionOptions.TOPIC_ALERT_RULES), c.get(PerceptionOptions.TOPIC_TAG_VOCABULARIES));
  }

  /** Settings with the job's bootstrap servers, client settings, topics and record format (records.*) filled in. */
  static ConsoleSettings.Builder settings(JobConfig config, Path bundle, Path indexDir) {
    return ConsoleSettings.builder()
        .bootstrapServers(config.get(KafkaOptions.BOOTSTRAP_SERVERS))
        .kafkaClientProperties(config.kafkaClientProperties())
        .topics(topics(config))
        .recordFormat(RecordFormat.from(config.flink()))
        .bundleDir(bundle)
        .indexDir(indexDir);
  }

  /** Starts the console; a port in use is the user's to fix. */
  static Console start(ConsoleSettings settings) {
    try {
      return Console.start(settings);
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BindException) {
          throw new CliError(ExitCode.USAGE, "cannot listen on " + settings.bind() + ":" + settings.port() + ": "
              + t.getMessage(), "pass another port (0 = any free port) or stop what uses it", e);
        }
      }
      throw e;
    }
  }
}
