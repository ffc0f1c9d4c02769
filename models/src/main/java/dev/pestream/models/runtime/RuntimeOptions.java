package dev.pestream.models.runtime;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How a bundle's graphs run: execution providers in preference order, TensorRT settings, ONNX
 * Runtime threads, batching (a default and per-graph overrides), which graphs to open, and the text
 * embedding cache size. Immutable and {@link Serializable}, so Flink operators can carry it.
 *
 * <p>Built with {@link #builder()} or from flat string keys ({@link #fromMap}), e.g. a Flink
 * configuration's {@code toMap()}. The keys are one table ({@link #keys()}): each {@link Key}
 * carries its type, default and help, so parsing, the builder's defaults and {@link
 * #documentedKeys()} cannot drift apart.
 */
public final class RuntimeOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * One flat {@code models.*} key: its name, typed default, meaning and parser.
   *
   * @param <T> the parsed value's type
   */
  public static final class Key<T> {
    private final String key;
    private final T defaultValue;
    private final String defaultText;
    private final String description;
    private final Function<String, T> parser;

    private Key(String key, T defaultValue, String defaultText, String description, Function<String, T> parser) {
      this.key = key;
      this.defaultValue = defaultValue;
      this.defaultText = defaultText;
      this.description = description;
      this.parser = parser;
    }

    public String key() {
      return key;
    }

    /** The value when the key is absent; null for the cache directories, which default to none. */
    public T defaultValue() {
      return defaultValue;
    }

    /** The key's meaning and default, one sentence each, for command-line help. */
    public String help() {
      return description + " Default: " + defaultText + ".";
    }

    /** The trimmed value parsed; bad values fail as the parser does (e.g. NumberFormatException). */
    public T parse(String value) {
      return parser.apply(value.trim());
    }

    @Override
    public String toString() {
      return key;
    }
  }

  private static <T> Key<T> key(String key, T defaultValue, String description, Function<String, T> parser) {
    return new Key<>(key, defaultValue, String.valueOf(defaultValue), description, parser);
  }

  private static <T> Key<T> key(String key, T defaultValue, String defaultText, String description,
                                Function<String, T> parser) {
    return new Key<>(key, defaultValue, defaultText, description, parser);
  }

  private static List<String> commaList(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  public static final Key<List<ExecutionProvider>> PROVIDERS = key("models.providers",
      List.of(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA, ExecutionProvider.CPU), "tensorrt,cuda,cpu",
      "Execution providers in preference order (tensorrt, cuda, cpu), comma separated.",
      v -> Arrays.stream(v.split(",")).map(ExecutionProvider::parse).toList());
  public static final Key<Integer> DEVICE_ID = key("models.device-id", 0,
      "GPU device id for the CUDA and TensorRT providers.", Integer::parseInt);
  public static final Key<Integer> INTRA_OP_THREADS = key("models.intra-op-threads", 0,
      "0 (ONNX Runtime's default, one per core)", "ONNX Runtime intra-op threads per session.", Integer::parseInt);
  public static final Key<Boolean> TENSORRT_FP16 = key("models.tensorrt.fp16", true,
      "TensorRT: build fp16 engines.", Boolean::parseBoolean);
  public static final Key<String> TENSORRT_ENGINE_CACHE_DIR = key("models.tensorrt.engine-cache-dir", null,
      "none (engines are rebuilt at every start)", "TensorRT: directory caching built engines across restarts.",
      Function.identity());
  public static final Key<String> TENSORRT_TIMING_CACHE_DIR = key("models.tensorrt.timing-cache-dir", null,
      "none", "TensorRT: directory caching kernel timings.", Function.identity());
  public static final Key<Long> TENSORRT_WORKSPACE_BYTES = key("models.tensorrt.workspace-bytes",
      TensorRtOptions.DEFAULT_WORKSPACE_BYTES, "TensorRT: builder workspace size in bytes.", Long::parseLong);
  public static final Key<Integer> BATCH_MAX_SIZE = key("models.batch.max-size", BatchingOptions.DEFAULT_MAX_BATCH,
      "Dynamic batching: most requests per batch.", Integer::parseInt);
  public static final Key<Long> BATCH_MAX_WAIT_MS = key("models.batch.max-wait-ms",
      BatchingOptions.DEFAULT_MAX_WAIT.toMillis(), BatchingOptions.DEFAULT_MAX_WAIT.toMillis() + " ms",
      "Dynamic batching: longest wait of the oldest request before a batch runs.", Long::parseLong);
  public static final Key<Integer> BATCH_QUEUE_CAPACITY = key("models.batch.queue-capacity",
      BatchingOptions.DEFAULT_QUEUE_CAPACITY, "Dynamic batching: queued requests before submitters block (backpressure).",
      Integer::parseInt);
  public static final Key<Integer> BATCH_WORKERS = key("models.batch.workers", 1,
      "Dynamic batching: threads running batches per session.", Integer::parseInt);
  public static final Key<List<String>> GRAPHS = key("models.graphs", List.of(), "every graph of the bundle",
      "Graphs to open, comma separated.", RuntimeOptions::commaList);
  public static final Key<Integer> TEXT_CACHE_SIZE = key("models.text-cache-size", 10_000,
      "Cached text embeddings per bundle.", Integer::parseInt);

  /** Prefix of {@code models.tensorrt.profile.<graph>.min|opt|max}. */
  public static final String TENSORRT_PROFILE_PREFIX = "models.tensorrt.profile.";
  private static final List<String> PROFILE_PARTS = List.of("min", "opt", "max");
  /** Prefix of per-graph batching overrides {@code models.batch.graph.<graph>.<setting>}, settings as models.batch.*. */
  public static final String BATCH_GRAPH_PREFIX = "models.batch.graph.";
  private static final String BATCH_PREFIX = "models.batch.";
  private static final List<Key<?>> BATCH_KEYS = List.of(BATCH_MAX_SIZE, BATCH_MAX_WAIT_MS, BATCH_QUEUE_CAPACITY,
      BATCH_WORKERS);

  private static final List<Key<?>> KEYS = List.of(PROVIDERS, DEVICE_ID, INTRA_OP_THREADS, TENSORRT_FP16,
      TENSORRT_ENGINE_CACHE_DIR, TENSORRT_TIMING_CACHE_DIR, TENSORRT_WORKSPACE_BYTES, BATCH_MAX_SIZE, BATCH_MAX_WAIT_MS,
      BATCH_QUEUE_CAPACITY, BATCH_WORKERS, GRAPHS, TEXT_CACHE_SIZE);
  private static final Map<String, Key<?>> BY_NAME =
      KEYS.stream().collect(Collectors.toMap(Key::key, k -> k, (a, b) -> a, LinkedHashMap::new));

  /** Every typed key, in help order. */
  public static List<Key<?>> keys() {
    return KEYS;
  }

  /** Every {@code models.*} key (the table, then the per-graph key patterns) with what it does, for command-line help. */
  public static Map<String, String> documentedKeys() {
    Map<String, String> keys = new LinkedHashMap<>();
    KEYS.forEach(k -> keys.put(k.key(), k.help()));
    keys.put(TENSORRT_PROFILE_PREFIX + "<graph>." + String.join("|", PROFILE_PARTS),
        "TensorRT: shape profile of a graph's dynamic dims, e.g. audio_features:1x25x128. Default: none.");
    keys.put(BATCH_GRAPH_PREFIX + "<graph>." + BATCH_KEYS.stream().map(k -> k.key().substring(BATCH_PREFIX.length()))
        .collect(Collectors.joining("|")), "Per-graph batching overrides. Default: the models.batch.* values.");
    return keys;
  }

  /** Parsed values of the table's keys; absent keys read as their defaults. */
  private static final class Values {
    private final Map<Key<?>, Object> set = new HashMap<>();

    <T> void put(Key<T> key, String raw) {
      set.put(key, key.parse(raw));
    }

    @SuppressWarnings("unchecked")
    <T> T get(Key<T> key) {
      return set.containsKey(key) ? (T) set.get(key) : key.defaultValue();
    }

    TensorRtOptions tensorRt() {
      return new TensorRtOptions(get(TENSORRT_FP16), get(TENSORRT_ENGINE_CACHE_DIR), get(TENSORRT_TIMING_CACHE_DIR),
          get(TENSORRT_WORKSPACE_BYTES), Map.of());
    }

    BatchingOptions batching() {
      return new BatchingOptions(get(BATCH_MAX_SIZE), Duration.ofMillis(get(BATCH_MAX_WAIT_MS)),
          get(BATCH_QUEUE_CAPACITY), get(BATCH_WORKERS));
    }
  }

  private final List<ExecutionProvider> providers;
  private final int deviceId;
  private final TensorRtOptions tensorRt;
  private final int intraOpThreads;
  private final BatchingOptions batching;
  private final Map<String, BatchingOptions> graphBatching;
  private final Set<String> graphs;
  private final int textCacheSize;

  private RuntimeOptions(Builder b) {
    this.providers = List.copyOf(b.providers);
    this.deviceId = b.deviceId;
    this.tensorRt = b.tensorRt;
    this.intraOpThreads = b.intraOpThreads;
    this.batching = b.batching;
    this.graphBatching = Map.copyOf(b.graphBatching);
    this.graphs = Set.copyOf(b.graphs);
    this.textCacheSize = b.textCacheSize;
  }

  /** A builder holding the table's defaults. */
  public static Builder builder() {
    return new Builder(new Values());
  }

  public static RuntimeOptions defaults() {
    return builder().build();
  }

  /** CPU only, for tests and machines without a GPU. */
  public static RuntimeOptions cpu() {
    return builder().providers(ExecutionProvider.CPU).build();
  }

  public Builder toBuilder() {
    Builder b = builder();
    b.providers = new ArrayList<>(providers);
    b.deviceId = deviceId;
    b.tensorRt = tensorRt;
    b.intraOpThreads = intraOpThreads;
    b.batching = batching;
    b.graphBatching = new HashMap<>(graphBatching);
    b.graphs = new LinkedHashSet<>(graphs);
    b.textCacheSize = textCacheSize;
    return b;
  }

  public List<ExecutionProvider> providers() {
    return providers;
  }

  public int deviceId() {
    return deviceId;
  }

  public TensorRtOptions tensorRt() {
    return tensorRt;
  }

  public int intraOpThreads() {
    return intraOpThreads;
  }

  /** Batching for {@code graph}: its override, else the default. */
  public BatchingOptions batching(String graph) {
    return graphBatching.getOrDefault(graph, batching);
  }

  /** Graph names to open; empty means all. */
  public Set<String> graphs() {
    return graphs;
  }

  public int textCacheSize() {
    return textCacheSize;
  }

  /**
   * Reads the table's keys and the per-graph patterns; absent keys keep their defaults, unknown
   * {@code models.*} keys fail (a typo must not silently fall back to a default).
   */
  public static RuntimeOptions fromMap(Map<String, String> conf) {
    Values values = new Values();
    Map<String, Map<String, String>> profileParts = new HashMap<>();
    Map<String, Map<Key<?>, String>> batchParts = new HashMap<>();
    for (Map.Entry<String, String> e : conf.entrySet()) {
      String key = e.getKey();
      String value = e.getValue().trim();
      Key<?> known = BY_NAME.get(key);
      if (known != null) {
        values.put(known, value);
      } else if (key.startsWith(TENSORRT_PROFILE_PREFIX)) {
        String part = lastPart(key);
        if (!PROFILE_PARTS.contains(part)) {
          throw unknown(key);
        }
        profileParts.computeIfAbsent(graphOf(key, TENSORRT_PROFILE_PREFIX), g -> new HashMap<>()).put(part, value);
      } else if (key.startsWith(BATCH_GRAPH_PREFIX)) {
        Key<?> setting = BY_NAME.get(BATCH_PREFIX + lastPart(key));
        if (setting == null || !BATCH_KEYS.contains(setting)) {
          throw unknown(key);
        }
        batchParts.computeIfAbsent(graphOf(key, BATCH_GRAPH_PREFIX), g -> new HashMap<>()).put(setting, value);
      } else if (key.startsWith("models.")) {
        throw unknown(key);
      }
    }
    Builder b = new Builder(values);
    TensorRtOptions tensorRt = values.tensorRt();
    for (Map.Entry<String, Map<String, String>> p : profileParts.entrySet()) {
      Map<String, String> v = p.getValue();
      tensorRt = tensorRt.withProfile(p.getKey(), new ShapeProfile(v.get("min"), v.get("opt"), v.get("max")));
    }
    b.tensorRt(tensorRt);
    for (Map.Entry<String, Map<Key<?>, String>> g : batchParts.entrySet()) {
      // an override starts from the models.batch.* values, so it names only what differs
      Values graph = new Values();
      graph.set.putAll(values.set);
      g.getValue().forEach(graph::put);
      b.batching(g.getKey(), graph.batching());
    }
    return b.build();
  }

  private static IllegalArgumentException unknown(String key) {
    return new IllegalArgumentException("unknown model runtime option '" + key + "'");
  }

  private static String graphOf(String key, String prefix) {
    String rest = key.substring(prefix.length());
    int dot = rest.lastIndexOf('.');
    if (dot <= 0) {
      throw new IllegalArgumentException("option '" + key + "' must look like " + prefix + "<graph>.<setting>");
    }
    return rest.substring(0, dot);
  }

  private static String lastPart(String key) {
    return key.substring(key.lastIndexOf('.') + 1);
  }

  /** What makes two sessions of the same graph interchangeable (everything but graph selection and text cache). */
  SessionKey sessionKey(java.nio.file.Path bundleDir, String graph) {
    return new SessionKey(bundleDir, graph, providers, deviceId, tensorRt, intraOpThreads, batching(graph));
  }

  record SessionKey(java.nio.file.Path bundleDir, String graph, List<ExecutionProvider> providers, int deviceId,
                    TensorRtOptions tensorRt, int intraOpThreads, BatchingOptions batching) {}

  @Override
  public boolean equals(Object o) {
    return o instanceof RuntimeOptions r && providers.equals(r.providers) && deviceId == r.deviceId
        && tensorRt.equals(r.tensorRt) && intraOpThreads == r.intraOpThreads && batching.equals(r.batching)
        && graphBatching.equals(r.graphBatching) && graphs.equals(r.graphs) && textCacheSize == r.textCacheSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(providers, deviceId, tensorRt, intraOpThreads, batching, graphBatching, graphs,
        textCacheSize);
  }

  @Override
  public String toString() {
    return "RuntimeOptions{providers=" + providers + ", deviceId=" + deviceId + ", tensorRt=" + tensorRt
        + ", intraOpThreads=" + intraOpThreads + ", batching=" + batching + ", graphBatching=" + graphBatching
        + ", graphs=" + graphs + ", textCacheSize=" + textCacheSize + "}";
  }

  /** Builder; {@link #build()} validates. */
  public static final class Builder {
    private List<ExecutionProvider> providers;
    private int deviceId;
    private TensorRtOptions tensorRt;
    private int intraOpThreads;
    private BatchingOptions batching;
    private Map<String, BatchingOptions> graphBatching = new HashMap<>();
    private Set<String> graphs;
    private int textCacheSize;

    private Builder(Values values) {
      providers = new ArrayList<>(values.get(PROVIDERS));
      deviceId = values.get(DEVICE_ID);
      tensorRt = values.tensorRt();
      intraOpThreads = values.get(INTRA_OP_THREADS);
      batching = values.batching();
      graphs = new LinkedHashSet<>(values.get(GRAPHS));
      textCacheSize = values.get(TEXT_CACHE_SIZE);
    }

    public Builder providers(ExecutionProvider... order) {
      return providers(Arrays.asList(order));
    }

    public Builder providers(List<ExecutionProvider> order) {
      this.providers = new ArrayList<>(order);
      return this;
    }

    public Builder deviceId(int id) {
      this.deviceId = id;
      return this;
    }

    public Builder tensorRt(TensorRtOptions options) {
      this.tensorRt = options;
      return this;
    }

    public Builder intraOpThreads(int threads) {
      this.intraOpThreads = threads;
      return this;
    }

    /** Default batching for every graph without an override. */
    public Builder batching(BatchingOptions options) {
      this.batching = options;
      return this;
    }

    public Builder batching(String graph, BatchingOptions options) {
      this.graphBatching.put(graph, options);
      return this;
    }

    public Builder graphs(String... names) {
      return graphs(Arrays.asList(names));
    }

    public Builder graphs(java.util.Collection<String> names) {
      this.graphs = new LinkedHashSet<>(names);
      return this;
    }

    public Builder textCacheSize(int entries) {
      this.textCacheSize = entries;
      return this;
    }

    public RuntimeOptions build() {
      if (providers.isEmpty()) {
        throw new IllegalArgumentException("at least one execution provider is needed");
      }
      if (new LinkedHashSet<>(providers).size() != providers.size()) {
        throw new IllegalArgumentException("execution providers repeat: " + providers);
      }
      if (deviceId < 0 || intraOpThreads < 0 || textCacheSize < 0) {
        throw new IllegalArgumentException("deviceId, intraOpThreads and textCacheSize must be >= 0");
      }
      if (tensorRt == null || batching == null) {
        throw new IllegalArgumentException("tensorRt and batching options must not be null");
      }
      return new RuntimeOptions(this);
    }
  }
}
