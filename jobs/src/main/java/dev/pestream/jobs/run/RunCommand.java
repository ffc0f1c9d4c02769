package dev.pestream.jobs.run;

import dev.pestream.jobs.ControlRecordFiles;
import dev.pestream.jobs.KafkaEndpoints;
import dev.pestream.jobs.PerceptionJob;
import dev.pestream.jobs.PerceptionSettings;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pestream run}: the perception job on whatever Flink environment is current — a cluster
 * when launched by {@code flink run} / the Kubernetes operator, a local MiniCluster otherwise.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the perception job (Kafka in, Kafka out). Settings: a YAML file, then -D overrides, then the"
        + " shortcuts below. Every setting is listed at the end.")
public final class RunCommand implements Callable<Integer> {
  static final String JOB_NAME = "pestream perception";
  private static final String SETTINGS_HINT = "see pestream run --help for the settings and their values";

  @Option(names = "--config", paramLabel = "FILE", description = "YAML file of settings (keys as listed below).")
  Path configFile;

  @Option(names = "-D", paramLabel = "KEY=VALUE", description = "Override one setting.", mapFallbackValue = "")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
  String bootstrap;

  @Option(names = "--models", paramLabel = "DIR|NAME", required = true,
      description = "Model bundle folder (manifest.json + graphs), or a name installed by 'pestream models pull'.")
  Path bundle;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "A sound-event prompt scored on every stream (repeatable).")
  List<String> prompts;

  @Option(names = "--window", paramLabel = "DURATION", description = "Embedding window length, e.g. 10s.")
  String window;

  @Option(names = "--hop", paramLabel = "DURATION", description = "Embedding window hop, e.g. 2s.")
  String hop;

  @Option(names = "--providers", paramLabel = "LIST", description = "Execution providers, e.g. tensorrt,cuda,cpu.")
  String providers;

  @Option(names = "--rules", paramLabel = "FILE", description = "Alert rules (YAML/JSON) to publish to the rules topic first.")
  Path rules;

  @Option(names = "--vocabularies", paramLabel = "FILE", description = "Tag vocabularies (YAML/JSON) to publish first.")
  Path vocabularies;

  @Override
  public Integer call() throws Exception {
    // every argument and input is checked before Kafka is touched or a job is built
    Preflight.readableFile(configFile, "--config");
    Preflight.readableFile(rules, "--rules");
    Preflight.readableFile(vocabularies, "--vocabularies");
    JobConfig config = Preflight.setting(() -> JobConfig.load(configFile, settings()), SETTINGS_HINT);
    List<AlertRule> ruleRecords = Preflight.input(
        () -> rules == null ? List.of() : ControlRecordFiles.readRules(rules), "see the rules format in jobs/README.md");
    List<TagVocabulary> vocabularyRecords = Preflight.input(
        () -> vocabularies == null ? List.of() : ControlRecordFiles.readVocabularies(vocabularies),
        "see the vocabularies format in jobs/README.md");
    bundle = Preflight.bundle(bundle);
    PerceptionSettings settings = Preflight.setting(() -> PerceptionSettings.from(config, bundle), SETTINGS_HINT);
    Preflight.broker(config);
    Preflight.registry(config);
    System.out.println("Perception job settings:\n" + config.describe());
    KafkaEndpoints.createTopics(config, 1);
    ControlRecordFiles.publish(config, ruleRecords, vocabularyRecords);
    if (settings.contractBundle()) {
      System.out.println("NOTE: " + bundle + " is a CONTRACT bundle (engineered test model): its outputs are not"
          + " real PE model output. Export a real bundle with models/export (see its README).");
    }
    StreamExecutionEnvironment env = environment(config);
    new PerceptionJob(settings).build(env, KafkaEndpoints.inputs(config), KafkaEndpoints.outputs(config));
    // a listener, not executeAsync: execute() keeps Flink's attached/detached (flink run -d) behaviour
    env.registerJobListener(RunStatus.announcer(System.out, JOB_NAME, LocalFlink.endpoint(env)));
    // periodic lines only on a terminal: a log file or a pipe gets the job's own logs, not a ticker
    try (RunStatus status = System.console() == null ? null : RunStatus.start(config, System.out)) {
      env.execute(JOB_NAME);
    }
    return 0;
  }

  /**
   * The current Flink environment with the {@code flink.*} settings; parallelism and the
   * checkpoint interval only where the job's settings name them or Flink has none, so a cluster's
   * or the Kubernetes operator's own settings win; likewise the restart strategy ({@link
   * RestartDefaults}). A local run listens on the loopback address only, on a REST port it can report
   * ({@link LocalFlink}).
   */
  public static StreamExecutionEnvironment environment(JobConfig config) {
    StreamExecutionEnvironment env = LocalFlink.forLocalRun(
        StreamExecutionEnvironment.getExecutionEnvironment(config.flinkSettings()), config.flinkSettings());
    if (config.contains(PerceptionOptions.PARALLELISM)) {
      env.setParallelism(config.get(PerceptionOptions.PARALLELISM));
    }
    // explicit, not derived from the first run's parallelism: it caps every later scale-out
    env.setMaxParallelism(config.get(PerceptionOptions.MAX_PARALLELISM));
    if (config.contains(PerceptionOptions.CHECKPOINT_INTERVAL) || !env.getCheckpointConfig().isCheckpointingEnabled()) {
      // exactly-once outputs are committed at checkpoints: the job always checkpoints
      env.enableCheckpointing(config.get(PerceptionOptions.CHECKPOINT_INTERVAL).toMillis());
    }
    // heals a broker outage by itself, yet ends a job whose failure repeats (RestartDefaults)
    RestartDefaults.applyUnlessSet(env);
    return env;
  }

  private Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>(overrides);
    put(s, "kafka.bootstrap-servers", bootstrap);
    put(s, PerceptionOptions.WINDOW_LENGTH, window);
    put(s, PerceptionOptions.WINDOW_HOP, hop);
    put(s, RuntimeOptions.PROVIDERS.key(), providers);
    if (prompts != null) {
      s.put(PerceptionOptions.PROMPTS.key(), String.join(";", prompts));
    }
    return s;
  }

  private static void put(Map<String, String> s, ConfigOption<?> option, String value) {
    put(s, option.key(), value);
  }

  private static void put(Map<String, String> s, String key, String value) {
    if (value != null) {
      s.put(key, value);
    }
  }

  /** The command with the settings list as its help footer. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new RunCommand());
    cli.getCommandSpec().usageMessage().footer(settingsHelp());
    return cli;
  }

  /** The help footer: every setting with its default and meaning. */
  public static String settingsHelp() {
    StringBuilder sb = new StringBuilder("\nSettings (YAML keys / -D KEY=VALUE):\n");
    for (ConfigOption<?> option : JobConfig.documentedOptions()) {
      entry(sb, option.key() + (option.hasDefaultValue() ? " (default: " + defaultText(option.defaultValue()) + ")" : ""),
          PlainTextFormatter.render(option.description()));
    }
    RuntimeOptions.documentedKeys().forEach((key, description) -> entry(sb, key, description));
    entry(sb, JobConfig.KAFKA_CLIENT_PREFIX + "*",
        "Any Kafka client setting (security.protocol, ssl.*, sasl.*); secrets are never printed.");
    entry(sb, JobConfig.FLINK_PREFIX + "*", "Any Flink setting, e.g. flink.restart-strategy.type: fixed-delay.");
    // picocli formats the footer: a literal '%' must be doubled and %n is its line break
    return sb.toString().replace("%", "%%").replace("\n", "%n");
  }

  /**
   * One setting: its heading, then its description wrapped to picocli's default width of 80, since
   * picocli re-wraps longer lines without keeping their indent.
   */
  private static void entry(StringBuilder sb, String heading, String description) {
    String indent = "      ";
    sb.append("  ").append(heading).append('\n');
    for (String paragraph : description.split("\n")) {
      StringBuilder line = new StringBuilder(indent);
      for (String word : paragraph.strip().split(" +")) {
        if (line.length() > indent.length() && line.length() + 1 + word.length() > 80) {
          sb.append(line).append('\n');
          line = new StringBuilder(indent);
        }
        line.append(line.length() > indent.length() ? " " : "").append(word);
      }
      sb.append(line).append('\n');
    }
  }

  /** A default as it is written in YAML or -D: durations as 10 s, lists separated by ';'. */
  static String defaultText(Object value) {
    if (value instanceof Duration d) {
      return TimeUtils.formatWithHighestUnit(d);
    }
    if (value instanceof List<?> list) {
      return list.isEmpty() ? "none" : list.stream().map(String::valueOf).collect(Collectors.joining(";"));
    }
    return String.valueOf(value);
  }
}
