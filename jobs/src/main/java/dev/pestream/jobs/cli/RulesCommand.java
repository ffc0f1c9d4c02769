package dev.pestream.jobs.cli;

import dev.pestream.console.BadRequest;
import dev.pestream.console.ControlRequests;
import dev.pestream.console.ControlTopicClient;
import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.RegistryException;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.jobs.run.CliError;
import dev.pestream.jobs.run.ExitCode;
import dev.pestream.jobs.run.Preflight;
import dev.pestream.schemas.AlertRule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pestream rules list|put|delete}: the job's alert rules on its compacted rules topic, changed
 * while the job runs (the same checks and records as the console's /api/rules).
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
    description = "List, add or change, and delete the alert rules a running job follows.",
    subcommands = {RulesCommand.List.class, RulesCommand.Put.class, RulesCommand.Delete.class})
public final class RulesCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: list, put or delete");
  }

  /** Where the rules topic is: the job's Kafka and topic settings. */
  static final class Connection {
    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers of the job.")
    String bootstrap;

    @Option(names = "--config", paramLabel = "FILE", description = "The job's YAML settings (topics.*, kafka.*, records.*).")
    Path configFile;

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Override one job setting (e.g. topics.alert-rules=...,"
        + " records.wire-format=registry with records.registry.url=URL: rules are written in the job's framing).", mapFallbackValue = "")
    Map<String, String> overrides = new LinkedHashMap<>();

    ControlTopicClient open() {
      Preflight.readableFile(configFile, "--config");
      Map<String, String> s = new LinkedHashMap<>(overrides);
      if (bootstrap != null) {
        s.put("kafka.bootstrap-servers", bootstrap);
      }
      JobConfig config = Preflight.setting(() -> JobConfig.load(configFile, s), "see 'pestream run --help' for the job settings");
      Preflight.broker(config);
      Properties client = config.kafkaClientProperties();
      client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.get(KafkaOptions.BOOTSTRAP_SERVERS));
      return new ControlTopicClient(client, config.get(PerceptionOptions.TOPIC_ALERT_RULES),
          config.get(PerceptionOptions.TOPIC_TAG_VOCABULARIES), RecordFormat.from(config.flink()));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Print every rule, one per line.")
  static final class List implements Callable<Integer> {
    @Mixin Connection connection;

    @Override
    public Integer call() {
      try (ControlTopicClient rules = connection.open()) {
        java.util.List<AlertRule> all = rules.rules();
        for (AlertRule r : all) {
          System.out.printf(Locale.ROOT, "%s  prompt=\"%s\" threshold=%.2f streams=%s cooldown=%d ms%s%n", r.getRuleId(),
              r.getPrompt(), r.getThreshold(), r.getStreamSelector(), r.getCooldownMs(), r.getEnabled() ? "" : " (disabled)");
        }
        if (all.isEmpty()) {
          System.out.println("(no rules)");
        }
      }
      return 0;
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Add a rule, or replace the rule with this id.")
  static final class Put implements Callable<Integer> {
    @Mixin Connection connection;

    @Parameters(index = "0", paramLabel = "RULE_ID")
    String ruleId;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The sound to alert on, e.g. \"glass breaking\".")
    String prompt;

    @Option(names = "--threshold", paramLabel = "P", description = "Probability in (0, 1) a span must reach (default ${DEFAULT-VALUE}).")
    double threshold = 0.5;

    @Option(names = "--streams", paramLabel = "GLOB", description = "Streams the rule applies to (* any characters, ? one; default ${DEFAULT-VALUE}).")
    String streams = "*";

    @Option(names = "--cooldown", paramLabel = "DURATION", description = "Quiet time after an alert per stream, e.g. 30s (default 0).")
    Duration cooldown = Duration.ZERO;

    @Option(names = "--disabled", description = "Store the rule switched off.")
    boolean disabled;

    @Override
    public Integer call() {
      AlertRule rule;
      try {
        rule = ControlRequests.rule(ruleId, prompt, threshold, streams, cooldown.toMillis(), !disabled);
      } catch (BadRequest e) {
        throw new CliError(ExitCode.USAGE, e.getMessage(), "see 'pestream rules put --help'", e);
      }
      try (ControlTopicClient rules = connection.open()) {
        rules.put(rule);
      } catch (IllegalStateException e) {
        if (e.getCause() instanceof RegistryException) {
          throw new CliError(ExitCode.REGISTRY, e.getMessage(),
              "check records.registry.url, the registry's credentials and that it is running", e);
        }
        throw e;
      }
      System.out.println("Rule " + ruleId + " saved; the running job applies it to the next chunks.");
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a rule.")
  static final class Delete implements Callable<Integer> {
    @Mixin Connection connection;

    @Parameters(index = "0", paramLabel = "RULE_ID")
    String ruleId;

    @Override
    public Integer call() {
      try (ControlTopicClient rules = connection.open()) {
        if (!rules.deleteRule(ruleId)) {
          throw new CliError(ExitCode.USAGE, "there is no rule '" + ruleId + "'", "'pestream rules list' shows the rules");
        }
      }
      System.out.println("Rule " + ruleId + " deleted.");
      return 0;
    }
  }
}
