package dev.pestream.jobs.run;

import dev.pestream.connectors.kafka.BrokerCheck;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireFormat;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.schemas.EventSpan;
import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.connectors.kafka.KafkaUnreachableException;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.models.bundle.BundleValidationException;
import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.bundle.ModelsHome;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Checks of a command's arguments and inputs, run before anything is started (broker, cluster,
 * ingestion), so a mistake ends in one {@link CliError} line instead of a failure half-way.
 */
public final class Preflight {
  /** Long enough for a remote cluster's first answer; a closed port is refused at once. */
  static final Duration BROKER_TIMEOUT = Duration.ofSeconds(10);

  private Preflight() {}

  /** A file named by {@code option} (none is fine) must exist and be readable. */
  public static void readableFile(Path file, String option) {
    if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
      throw new CliError(ExitCode.INPUT, (Files.exists(file) ? "cannot read " : "no such file: ") + file,
          "check the path given to " + option);
    }
  }

  /**
   * The bundle {@code --models} names (a folder, or a name installed by {@code pestream models
   * pull}, {@link ModelsHome}), checked (manifest.json matches the graph contract, every file has
   * its hash); returns its folder.
   */
  public static Path bundle(Path given) {
    Path dir = ModelsHome.of(null, System.getenv()).resolve(given.toString());
    if (!Files.isDirectory(dir)) {
      throw new CliError(ExitCode.MODEL_BUNDLE, "no such folder or installed model: " + given, bundleHint());
    }
    try {
      ModelBundle.load(dir);
    } catch (BundleValidationException e) {
      throw new CliError(ExitCode.MODEL_BUNDLE, e.getMessage(), bundleHint(), e);
    }
    return dir;
  }

  public static String bundleHint() {
    return "--models takes a folder with " + ModelBundle.MANIFEST_FILE + " and its graphs, as written by models/export,"
        + " or a name from 'pestream models list'";
  }

  /** An http(s) URL, e.g. {@code --plm-endpoint}. */
  public static void httpUrl(String url, String option) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      throw new CliError(ExitCode.USAGE, option + " '" + url + "' is not an http(s) URL", "e.g. http://plm-host:8000");
    }
  }

  /** The folder a file will be written to must exist. */
  public static void parentFolder(Path file, String option) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new CliError(ExitCode.INPUT, "no such folder: " + parent, "create it, or give " + option + " another path");
    }
  }

  /** Reads settings, turning a bad value ({@link IllegalArgumentException}) into a usage error. */
  public static <T> T setting(Supplier<T> read, String hint) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      throw new CliError(ExitCode.USAGE, e.getMessage(), hint, e);
    }
  }

  /** Reads an input file, turning a parse error ({@link IllegalArgumentException}) into an input error. */
  public static <T> T input(Supplier<T> read, String hint) {
    try {
      return read.get();
    } catch (IllegalArgumentException e) {
      throw new CliError(ExitCode.INPUT, e.getMessage(), hint, e);
    }
  }

  /** The configured Kafka cluster answers, with the job's own client settings. */
  public static void broker(JobConfig config) {
    String bootstrap = config.get(KafkaOptions.BOOTSTRAP_SERVERS);
    try {
      BrokerCheck.verify(bootstrap, BROKER_TIMEOUT, config.kafkaClientProperties());
    } catch (KafkaUnreachableException e) {
      throw new CliError(ExitCode.KAFKA, e.getMessage(),
          "check --bootstrap or kafka.bootstrap-servers, and that the broker is running", e);
    }
  }

  /**
   * With {@code records.wire-format: registry}: the registry answers and holds (or takes, with
   * auto-registration) the schema of the spans topic, so its URL, credentials and trust are right.
   */
  public static void registry(JobConfig config) {
    RecordFormat format = RecordFormat.from(config.flink());
    if (format.writes() != WireFormat.REGISTRY) {
      return;
    }
    try {
      format.codec(EventSpan.class).prepareWrite(config.get(PerceptionOptions.TOPIC_SPANS));
    } catch (IllegalStateException e) {
      throw new CliError(ExitCode.REGISTRY, e.getMessage(),
          "check records.registry.url, the registry's credentials and that it is running", e);
    }
  }
}
