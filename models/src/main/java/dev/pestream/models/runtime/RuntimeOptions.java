package dev.pestream.models.runtime;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a bundle's graphs run: execution providers in preference order, TensorRT settings, ONNX
 * Runtime threads, batching (a default and per-graph overrides), which graphs to open, and the text
 * embedding cache size. Immutable and {@link Serializable}, so Flink operators can carry it.
 *
 * <p>Built with {@link #builder()} or from flat string keys ({@link #fromMap}, keys below), e.g. a
 * Flink configuration's {@code toMap()}.
 */
public final class RuntimeOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Comma-separated provider order, default {@code tensorrt,cuda,cpu}. */
  public static final String PROVIDERS = "models.providers";
  public static final String DEVICE_ID = "models.device-id";
  /** ONNX Runtime intra-op threads per session; 0 = ONNX Runtime's default (one per core). */
  public static final String INTRA_OP_THREADS = "models.intra-op-threads";
  public static final String TENSORRT_FP16 = "models.tensorrt.fp16";
  public static final String TENSORRT_ENGINE_CACHE_DIR = "models.tensorrt.engine-cache-dir";
  public static final String TENSORRT_TIMING_CACHE_DIR = "models.tensorrt.timing-cache-dir";
  public static final String TENSORRT_WORKSPACE_BYTES = "models.tensorrt.workspace-bytes";
  /** Prefix of {@code models.tensorrt.profile.<graph>.min|opt|max}. */
  public static final String TENSORRT_PROFILE_PREFIX = "models.tensorrt.profile.";
  public static final String BATCH_MAX_SIZE = "models.batch.max-size";
  public static final String BATCH_MAX_WAIT_MS = "models.batch.max-wait-ms";
  public static final String BATCH_QUEUE_CAPACITY = "models.batch.queue-capacity";
  public static final String BATCH_WORKERS = "models.batch.workers";
  /** Prefix of per-graph overrides {@code models.batch.graph.<graph>.max-size|max-wait-ms|queue-capacity|workers}. */
  public static final String BATCH_GRAPH_PREFIX = "models.batch.graph.";
  /** Comma-separated graph names to open; empty = every graph of the bundle. */
  public static final String GRAPHS = "models.graphs";
  public static final String TEXT_CACHE_SIZE = "models.text-cache-size";

  /** Every {@code models.*} key with what it does, for command-line help. */
  public static Map<String, String> documentedKeys() {
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    keys.put(PROVIDERS, "Execution providers in preference order (tensorrt, cuda, cpu); default tensorrt,cuda,cpu.");
    keys.put(DEVICE_ID, "GPU device id for the CUDA and TensorRT providers; default 0.");
    keys.put(INTRA_OP_THREADS, "ONNX Runtime intra-op threads per session; 0 = ONNX Runtime's default.");
    keys.put(TENSORRT_FP16, "TensorRT: build fp16 engines; default true.");
    keys.put(TENSORRT_ENGINE_CACHE_DIR, "TensorRT: directory caching built engines across restarts.");
    keys.put(TENSORRT_TIMING_CACHE_DIR, "TensorRT: directory caching kernel timings.");
    keys.put(TENSORRT_WORKSPACE_BYTES, "TensorRT: builder workspace size in bytes.");
    keys.put(TENSORRT_PROFILE_PREFIX + "<graph>.min|opt|max", "TensorRT: shape profile of a graph's dynamic dims, e.g. audio_features:1x25x128.");
    keys.put(BATCH_MAX_SIZE, "Dynamic batching: most requests per batch; default " + BatchingOptions.DEFAULT_MAX_BATCH + ".");
    keys.put(BATCH_MAX_WAIT_MS, "Dynamic batching: longest wait of the oldest request before a batch runs; default "
        + BatchingOptions.DEFAULT_MAX_WAIT.toMillis() + " ms.");
    keys.put(BATCH_QUEUE_CAPACITY, "Dynamic batching: queued requests before submitters block (backpressure); default "
        + BatchingOptions.DEFAULT_QUEUE_CAPACITY + ".");
    keys.put(BATCH_WORKERS, "Dynamic batching: threads running batches per session; default 1.");
    keys.put(BATCH_GRAPH_PREFIX + "<graph>.max-size|max-wait-ms|queue-capacity|workers", "Per-graph batching overrides.");
    keys.put(GRAPHS, "Graphs to open (comma separated); default all graphs of the bundle.");
    keys.put(TEXT_CACHE_SIZE, "Cached text embeddings per bundle; default " + DEFAULT_TEXT_CACHE_SIZE + ".");
    return keys;
  }

  public static final List<ExecutionProvider> DEFAULT_PROVIDERS =
      List.of(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA, ExecutionProvider.CPU);
  public static final int DEFAULT_TEXT_CACHE_SIZE = 10_000;

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

  public static Builder builder() {
    return new Builder();
  }

  public static RuntimeOptions defaults() {
    return builder().build();
  }

  /** CPU only, for tests and machines without a GPU. */
  public static RuntimeOptions cpu() {
    return builder().providers(ExecutionProvider.CPU).build();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
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

  /** Reads the keys documented on this class; absent keys keep their defaults, unknown {@code models.*} keys fail. */
  public static RuntimeOptions fromMap(Map<String, String> conf) {
    Builder b = builder();
    Map<String, Map<String, String>> profileParts = new HashMap<>();
    Map<String, Map<String, String>> batchParts = new HashMap<>();
    TensorRtOptions trt = TensorRtOptions.defaults();
    boolean fp16 = trt.fp16();
    String engineDir = null;
    String timingDir = null;
    long workspace = trt.workspaceBytes();
    int maxBatch = BatchingOptions.DEFAULT_MAX_BATCH;
    long maxWaitMs = BatchingOptions.DEFAULT_MAX_WAIT.toMillis();
    int capacity = BatchingOptions.DEFAULT_QUEUE_CAPACITY;
    int workers = 1;
    for (Map.Entry<String, String> e : conf.entrySet()) {
      String key = e.getKey();
      String value = e.getValue().trim();
      if (!key.startsWith("models.")) {
        continue;
      }
      switch (key) {
        case PROVIDERS -> b.providers(Arrays.stream(value.split(",")).map(ExecutionProvider::parse).toList());
        case DEVICE_ID -> b.deviceId(Integer.parseInt(value));
        case INTRA_OP_THREADS -> b.intraOpThreads(Integer.parseInt(value));
        case TENSORRT_FP16 -> fp16 = Boolean.parseBoolean(value);
        case TENSORRT_ENGINE_CACHE_DIR -> engineDir = value;
        case TENSORRT_TIMING_CACHE_DIR -> timingDir = value;
        case TENSORRT_WORKSPACE_BYTES -> workspace = Long.parseLong(value);
        case BATCH_MAX_SIZE -> maxBatch = Integer.parseInt(value);
        case BATCH_MAX_WAIT_MS -> maxWaitMs = Long.parseLong(value);
        case BATCH_QUEUE_CAPACITY -> capacity = Integer.parseInt(value);
        case BATCH_WORKERS -> workers = Integer.parseInt(value);
        case GRAPHS -> b.graphs(Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        case TEXT_CACHE_SIZE -> b.textCacheSize(Integer.parseInt(value));
        default -> {
          if (key.startsWith(TENSORRT_PROFILE_PREFIX)) {
            splitGraphKey(key, TENSORRT_PROFILE_PREFIX, profileParts).put(lastPart(key), value);
          } else if (key.startsWith(BATCH_GRAPH_PREFIX)) {
            splitGraphKey(key, BATCH_GRAPH_PREFIX, batchParts).put(lastPart(key), value);
          } else {
            throw new IllegalArgumentException("unknown model runtime option '" + key + "'");
          }
        }
      }
    }
    BatchingOptions defaults = new BatchingOptions(maxBatch, Duration.ofMillis(maxWaitMs), capacity, workers);
    b.batching(defaults);
    TensorRtOptions tensorRt = new TensorRtOptions(fp16, engineDir, timingDir, workspace, Map.of());
    for (Map.Entry<String, Map<String, String>> p : profileParts.entrySet()) {
      Map<String, String> v = p.getValue();
      tensorRt = tensorRt.withProfile(p.getKey(), new ShapeProfile(v.get("min"), v.get("opt"), v.get("max")));
    }
    b.tensorRt(tensorRt);
    for (Map.Entry<String, Map<String, String>> g : batchParts.entrySet()) {
      Map<String, String> v = g.getValue();
      b.batching(g.getKey(), new BatchingOptions(
          Integer.parseInt(v.getOrDefault("max-size", Integer.toString(defaults.maxBatch()))),
          Duration.ofMillis(Long.parseLong(v.getOrDefault("max-wait-ms", Long.toString(maxWaitMs)))),
          Integer.parseInt(v.getOrDefault("queue-capacity", Integer.toString(capacity))),
          Integer.parseInt(v.getOrDefault("workers", Integer.toString(workers)))));
    }
    return b.build();
  }

  private static Map<String, String> splitGraphKey(String key, String prefix, Map<String, Map<String, String>> into) {
    String rest = key.substring(prefix.length());
    int dot = rest.lastIndexOf('.');
    if (dot <= 0) {
      throw new IllegalArgumentException("option '" + key + "' must look like " + prefix + "<graph>.<setting>");
    }
    return into.computeIfAbsent(rest.substring(0, dot), g -> new HashMap<>());
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
    return java.util.Objects.hash(providers, deviceId, tensorRt, intraOpThreads, batching, graphBatching, graphs,
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
    private List<ExecutionProvider> providers = new ArrayList<>(DEFAULT_PROVIDERS);
    private int deviceId;
    private TensorRtOptions tensorRt = TensorRtOptions.defaults();
    private int intraOpThreads;
    private BatchingOptions batching = BatchingOptions.defaults();
    private Map<String, BatchingOptions> graphBatching = new HashMap<>();
    private Set<String> graphs = new LinkedHashSet<>();
    private int textCacheSize = DEFAULT_TEXT_CACHE_SIZE;

    private Builder() {}

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
