package dev.pestream.jobs.config;

import dev.pestream.connectors.kafka.KafkaOptions;
import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.RecordFormatOptions;
import dev.pestream.operators.captions.CaptionOptions;
import dev.pestream.operators.decode.DecodeOptions;
import dev.pestream.operators.encode.FrameEncoderOptions;
import dev.pestream.operators.faults.FaultInjectionOptions;
import dev.pestream.operators.sequence.SequencerOptions;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The job's configuration: one YAML file (nested maps flattened to dotted keys) plus overrides,
 * checked against the documented options. Unknown keys fail loudly (a typo must not silently fall
 * back to a default). Secrets never appear in {@link #describe()}.
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Standard Kafka client settings (security.protocol, ssl.*, sasl.*) go under this prefix. */
  public static final String KAFKA_CLIENT_PREFIX = "kafka.client.";
  /** Model runtime settings, documented and validated by RuntimeOptions in the models module. */
  public static final String MODELS_PREFIX = "models.";
  /** Flink's own settings (restart-strategy.*, state.backend.*, ...), passed to Flink without the prefix. */
  public static final String FLINK_PREFIX = "flink.";

  private final TreeMap<String, String> values;

  private JobConfig(Map<String, String> values) {
    this.values = new TreeMap<>(values);
  }

  /** Loads {@code yamlFile} (may be null) and applies {@code overrides} on top. */
  public static JobConfig load(Path yamlFile, Map<String, String> overrides) {
    Map<String, String> merged = new LinkedHashMap<>();
    if (yamlFile != null) {
      merged.putAll(readYaml(yamlFile));
    }
    merged.putAll(overrides);
    JobConfig config = new JobConfig(merged);
    config.checkKeys();
    return config;
  }

  public static JobConfig of(Map<String, String> values) {
    return load(null, values);
  }

  public Configuration flink() {
    return Configuration.fromMap(values);
  }

  public <T> T get(ConfigOption<T> option) {
    return flink().get(option);
  }

  public boolean contains(ConfigOption<?> option) {
    return values.containsKey(option.key());
  }

  /** A copy with more settings on top. */
  public JobConfig with(Map<String, String> more) {
    Map<String, String> merged = new LinkedHashMap<>(values);
    merged.putAll(more);
    return load(null, merged);
  }

  /** The {@code flink.*} settings without the prefix, for the Flink execution environment. */
  public Configuration flinkSettings() {
    Map<String, String> flink = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(FLINK_PREFIX)) {
        flink.put(k.substring(FLINK_PREFIX.length()), v);
      }
    });
    return Configuration.fromMap(flink);
  }

  /** The {@code kafka.client.*} settings without the prefix, for Kafka clients. */
  public Properties kafkaClientProperties() {
    Properties p = new Properties();
    values.forEach((k, v) -> {
      if (k.startsWith(KAFKA_CLIENT_PREFIX)) {
        p.put(k.substring(KAFKA_CLIENT_PREFIX.length()), v);
      }
    });
    return p;
  }

  /** The {@code models.*} settings, for the model runtime. */
  public Map<String, String> modelSettings() {
    return values.entrySet().stream().filter(e -> e.getKey().startsWith(MODELS_PREFIX))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> b, TreeMap::new));
  }

  public Map<String, String> asMap() {
    return new TreeMap<>(values);
  }

  /** Every setting, one per line, with secrets replaced by {@code ******}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    values.forEach((k, v) -> sb.append(k).append(": ").append(isSecret(k) ? "******" : v).append('\n'));
    return sb.toString();
  }

  /** Whether a key holds a secret (passwords, keys, JAAS configs, tokens). */
  public static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("token")
        || k.contains("api-key") || k.contains("apikey") || k.endsWith(".key") || k.contains("credential");
  }

  /** The documented job options, for --help and checks. */
  public static List<ConfigOption<?>> documentedOptions() {
    List<ConfigOption<?>> options = new ArrayList<>();
    for (Class<?> holder : List.of(KafkaOptions.class, PerceptionOptions.class, SequencerOptions.class,
        DecodeOptions.class, CaptionOptions.class, FaultInjectionOptions.class, FrameEncoderOptions.class,
        RecordFormatOptions.class)) {
      for (Field f : holder.getFields()) {
        if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
          try {
            options.add((ConfigOption<?>) f.get(null));
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    return options;
  }

  private void checkKeys() {
    List<String> known = documentedOptions().stream().map(ConfigOption::key).toList();
    List<String> unknown = values.keySet().stream()
        .filter(k -> !known.contains(k) && !k.startsWith(KAFKA_CLIENT_PREFIX) && !k.startsWith(MODELS_PREFIX)
            && !k.startsWith(FLINK_PREFIX))
        .toList();
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown setting(s) " + unknown + "; see --help for the documented keys");
    }
    Configuration flink = flink();
    for (ConfigOption<?> option : documentedOptions()) {
      try {
        flink.get(option);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad value for " + option.key() + ": " + e.getMessage(), e);
      }
    }
    RecordFormat.from(flink); // wire format, registry URL and secret references are consistent
  }

  private static Map<String, String> readYaml(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
      Map<String, String> flat = new LinkedHashMap<>();
      if (root != null) {
        if (!(root instanceof Map<?, ?> map)) {
          throw new IllegalArgumentException(file + " must hold a YAML mapping of settings");
        }
        flatten("", map, flat);
      }
      return flat;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
    }
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = prefix + e.getKey();
      Object value = e.getValue();
      if (value instanceof Map<?, ?> nested) {
        flatten(key + ".", nested, out);
      } else if (value instanceof List<?> list) {
        out.put(key, list.stream().map(String::valueOf).collect(Collectors.joining(";")));
      } else if (value != null) {
        out.put(key, String.valueOf(value));
      }
    }
  }
}
