package dev.pestream.models;

import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.BundleValidationException;
import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.bundle.Role;
import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.models.runtime.SharedRegistry;
import dev.pestream.models.runtime.SharedSessions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.metrics.MetricGroup;

/**
 * A model bundle opened for inference: the entry point of this module.
 *
 * <pre>{@code
 * try (Models models = Models.open(bundleDir, RuntimeOptions.defaults())) {
 *   float[][] features = models.audioCodec().encode(waveform);          // [frames][128]
 *   float[][] perFrame = models.frameLevelAudio().embed(features);      // [frames][E]
 *   float[] beep = models.text().embed("beep", "frame_audio");          // [E], cached
 *   double p = models.manifest().head("frame_audio").probability(perFrame[0], beep);
 * }
 * }</pre>
 *
 * <p>JVM-wide sharing: {@code open} is cheap after the first call for a bundle folder. All holders
 * of the same folder share the validated bundle, tokenizer and text cache; all holders that open a
 * graph with the same session options (providers, TensorRT, threads, batching) share one ONNX
 * Runtime session and batcher for it. Each holder must {@link #close} once; the last close of a
 * session closes it. In Flink: open in {@code open()}, close in {@code close()} of each operator
 * instance.
 */
public final class Models implements AutoCloseable {
  private static final SharedRegistry<Path, SharedBundle> BUNDLES = new SharedRegistry<>();

  private final Path bundleKey;
  private final SharedBundle shared;
  private final Map<String, SharedSessions.Handle> handles;
  private final RuntimeOptions options;
  private boolean closed;

  private AudioCodec audioCodec;
  private FrameEncoder frameEncoder;
  private AudioEncoder audioEncoder;
  private VideoEncoder videoEncoder;
  private AvEncoder avEncoder;
  private FrameLevelAudio frameLevelAudio;
  private TextEmbeddings text;

  private Models(Path bundleKey, SharedBundle shared, Map<String, SharedSessions.Handle> handles,
                 RuntimeOptions options) {
    this.bundleKey = bundleKey;
    this.shared = shared;
    this.handles = handles;
    this.options = options;
    createClients();
  }

  /**
   * Opens (or joins) the bundle in {@code bundleDir} with the graphs {@code options.graphs()} names
   * (all when empty). Throws {@link BundleValidationException} for a bundle that does not match its
   * manifest and {@link dev.pestream.models.runtime.ModelLoadException} when a graph cannot be loaded.
   */
  public static Models open(Path bundleDir, RuntimeOptions options) {
    Path key;
    try {
      key = bundleDir.toRealPath();
    } catch (IOException e) {
      throw new BundleValidationException(bundleDir.toString(), "bundle folder not readable: " + e, e);
    }
    SharedBundle shared = BUNDLES.acquire(key, k -> new SharedBundle(ModelBundle.load(k), options.textCacheSize()));
    Map<String, SharedSessions.Handle> handles = new LinkedHashMap<>();
    try {
      for (String graph : graphsToOpen(shared.bundle(), options)) {
        handles.put(graph, SharedSessions.acquire(shared.bundle(), graph, options));
      }
      return new Models(key, shared, handles, options);
    } catch (RuntimeException e) {
      handles.values().forEach(SharedSessions::release);
      BUNDLES.release(key, shared);
      throw e;
    }
  }

  private static List<String> graphsToOpen(ModelBundle bundle, RuntimeOptions options) {
    Set<String> all = bundle.manifest().graphs().keySet();
    if (options.graphs().isEmpty()) {
      return new ArrayList<>(all);
    }
    List<String> missing = options.graphs().stream().filter(g -> !all.contains(g)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("bundle " + bundle.name() + " has no graph(s) " + missing + " (graphs: " + all + ")");
    }
    return bundle.manifest().graphs().keySet().stream().filter(options.graphs()::contains).toList();
  }

  private void createClients() {
    BundleManifest m = manifest();
    Map<String, BatchedSession> textSessions = new LinkedHashMap<>();
    for (Map.Entry<String, SharedSessions.Handle> e : handles.entrySet()) {
      BatchedSession s = e.getValue().session();
      switch (Role.of(e.getKey(), m)) {
        case AUDIO_CODEC -> audioCodec = new AudioCodec(s, m.audio());
        case FRAME_ENCODER -> frameEncoder = new FrameEncoder(s, m.video());
        case AUDIO_ENCODER -> audioEncoder = new AudioEncoder(s, m.audio().featureDim());
        case VIDEO_ENCODER -> videoEncoder = new VideoEncoder(s, m.video().frameFeatureDim());
        case AV_ENCODER -> avEncoder = new AvEncoder(s, m.audio().featureDim(), m.video().frameFeatureDim());
        case FRAME_LEVEL_AUDIO -> frameLevelAudio = new FrameLevelAudio(s, m.audio().featureDim(), m.embeddingDim());
        case TEXT_ENCODER -> textSessions.put(e.getKey(), s);
      }
    }
    if (!textSessions.isEmpty()) {
      text = new TextEmbeddings(m, textSessions, shared.tokenizer(), shared.textCache());
    }
  }

  public BundleManifest manifest() {
    return shared.bundle().manifest();
  }

  public Path bundleDir() {
    return shared.bundle().dir();
  }

  /** True for an engineered contract bundle: its outputs must never be presented as real model output. */
  public boolean isContract() {
    return manifest().contract();
  }

  public RuntimeOptions options() {
    return options;
  }

  /** Graph names this instance opened. */
  public Set<String> graphs() {
    return Collections.unmodifiableSet(handles.keySet());
  }

  public AudioCodec audioCodec() {
    return require(audioCodec, Role.AUDIO_CODEC);
  }

  public FrameEncoder frameEncoder() {
    return require(frameEncoder, Role.FRAME_ENCODER);
  }

  public AudioEncoder audioEncoder() {
    return require(audioEncoder, Role.AUDIO_ENCODER);
  }

  public VideoEncoder videoEncoder() {
    return require(videoEncoder, Role.VIDEO_ENCODER);
  }

  public AvEncoder avEncoder() {
    return require(avEncoder, Role.AV_ENCODER);
  }

  public FrameLevelAudio frameLevelAudio() {
    return require(frameLevelAudio, Role.FRAME_LEVEL_AUDIO);
  }

  public TextEmbeddings text() {
    return require(text, Role.TEXT_ENCODER);
  }

  /** The shared batched session of an open graph (generic access, metrics, listeners). */
  public BatchedSession session(String graph) {
    checkOpen();
    SharedSessions.Handle h = handles.get(graph);
    if (h == null) {
      throw new IllegalStateException("graph '" + graph + "' is not open (open: " + handles.keySet() + ")");
    }
    return h.session();
  }

  /** The execution provider {@code graph} runs on. */
  public ExecutionProvider provider(String graph) {
    return session(graph).provider();
  }

  /** Binds every open graph's metrics under {@code group.models.<graph>} (names in ModelMetricNames). */
  public void registerMetrics(MetricGroup group) {
    for (String graph : handles.keySet()) {
      session(graph).metrics().register(group);
    }
  }

  private <T> T require(T client, Role role) {
    checkOpen();
    if (client == null) {
      throw new IllegalStateException("role " + role.graphName() + " is not open: bundle " + shared.bundle().name()
          + " has graphs " + manifest().graphs().keySet() + ", opened " + handles.keySet());
    }
    return client;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("models of " + shared.bundle().name() + " are closed");
    }
  }

  /** Releases this holder's references; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    handles.values().forEach(SharedSessions::release);
    BUNDLES.release(bundleKey, shared);
  }
}
