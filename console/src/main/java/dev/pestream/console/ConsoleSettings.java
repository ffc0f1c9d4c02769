package dev.pestream.console;

import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.models.runtime.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/** Everything a {@link Console} needs; built and checked by {@link #builder}. */
public final class ConsoleSettings {
  private final Properties kafkaClient;
  private final ConsoleTopics topics;
  private final Path bundleDir;
  private final Path indexDir;
  private final String bind;
  private final int port;
  private final Duration horizon;
  private final Duration commitInterval;
  private final BearerToken token;
  private final RuntimeOptions runtime;
  private final RecordFormat recordFormat;

  private ConsoleSettings(Builder b) {
    this.kafkaClient = b.kafkaClient;
    this.topics = b.topics;
    this.bundleDir = b.bundleDir;
    this.indexDir = b.indexDir;
    this.bind = b.bind;
    this.port = b.port;
    this.horizon = b.horizon;
    this.commitInterval = b.commitInterval;
    this.token = b.token;
    this.runtime = b.runtime;
    this.recordFormat = b.recordFormat;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Kafka client settings: bootstrap servers plus any standard client setting (security). */
  public Properties kafkaClient() {
    Properties copy = new Properties();
    copy.putAll(kafkaClient);
    return copy;
  }

  public ConsoleTopics topics() {
    return topics;
  }

  public Path bundleDir() {
    return bundleDir;
  }

  public Path indexDir() {
    return indexDir;
  }

  public String bind() {
    return bind;
  }

  public int port() {
    return port;
  }

  public Duration horizon() {
    return horizon;
  }

  public Duration commitInterval() {
    return commitInterval;
  }

  /** The bearer token /api requests must carry, or null for none. */
  public BearerToken token() {
    return token;
  }

  public RuntimeOptions runtime() {
    return runtime;
  }

  /** The job's framing: records are read in both, rules and vocabularies written in this one. */
  public RecordFormat recordFormat() {
    return recordFormat;
  }

  public static final class Builder {
    private final Properties kafkaClient = new Properties();
    private ConsoleTopics topics;
    private Path bundleDir;
    private Path indexDir;
    private String bind = ConsoleOptions.BIND.defaultValue();
    private int port = ConsoleOptions.PORT.defaultValue();
    private Duration horizon = ConsoleOptions.TIMELINE_HORIZON.defaultValue();
    private Duration commitInterval = ConsoleOptions.COMMIT_INTERVAL.defaultValue();
    private BearerToken token;
    private RuntimeOptions runtime = RuntimeOptions.cpu();
    private RecordFormat recordFormat = RecordFormat.singleObject();

    public Builder bootstrapServers(String servers) {
      kafkaClient.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, servers);
      return this;
    }

    public Builder kafkaClientProperties(Properties properties) {
      kafkaClient.putAll(properties);
      return this;
    }

    public Builder topics(ConsoleTopics topics) {
      this.topics = topics;
      return this;
    }

    public Builder bundleDir(Path dir) {
      this.bundleDir = dir;
      return this;
    }

    public Builder indexDir(Path dir) {
      this.indexDir = dir;
      return this;
    }

    public Builder bind(String address) {
      this.bind = address;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder horizon(Duration horizon) {
      this.horizon = horizon;
      return this;
    }

    public Builder commitInterval(Duration interval) {
      this.commitInterval = interval;
      return this;
    }

    public Builder token(BearerToken token) {
      this.token = token;
      return this;
    }

    /** Execution providers etc. of the text encoder (default: CPU; one query at a time needs no GPU). */
    public Builder runtime(RuntimeOptions runtime) {
      this.runtime = runtime;
      return this;
    }

    /**
     * The job's {@code records.*} settings: the registry to resolve registry-framed records with, and
     * the framing rules and vocabularies are written in (default: single-object, no registry).
     */
    public Builder recordFormat(RecordFormat format) {
      this.recordFormat = format;
      return this;
    }

    public ConsoleSettings build() {
      if (kafkaClient.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "").isBlank()) {
        throw new IllegalArgumentException("the console needs Kafka's bootstrap servers (--bootstrap HOST:PORT)");
      }
      if (topics == null) {
        throw new IllegalArgumentException("the console needs the job's topic names");
      }
      if (recordFormat == null) {
        throw new IllegalArgumentException("the console needs the job's record format (records.wire-format)");
      }
      if (bundleDir == null || indexDir == null) {
        throw new IllegalArgumentException("the console needs a model bundle folder and an index folder");
      }
      if (!Files.isDirectory(bundleDir)) {
        throw new IllegalArgumentException("the model bundle folder " + bundleDir + " does not exist");
      }
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port " + port + " is not a TCP port (0 to 65535; 0 = any free port)");
      }
      if (bind == null || bind.isBlank()) {
        throw new IllegalArgumentException("the console needs an address to bind (127.0.0.1 by default)");
      }
      if (horizon.isNegative() || horizon.isZero() || commitInterval.isNegative()) {
        throw new IllegalArgumentException("the timeline horizon must be positive and the commit interval not negative");
      }
      return new ConsoleSettings(this);
    }
  }
}
