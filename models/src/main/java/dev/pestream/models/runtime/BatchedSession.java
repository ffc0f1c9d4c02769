package dev.pestream.models.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pestream.models.bundle.Dim;
import dev.pestream.models.bundle.GraphSpec;
import dev.pestream.models.bundle.TensorSpec;
import dev.pestream.models.metrics.BatchEvent;
import dev.pestream.models.metrics.BatchListener;
import dev.pestream.models.metrics.SessionMetrics;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session with a dynamic batcher in front. Requests from any thread queue up; a
 * worker takes the oldest, waits until {@code maxBatch} requests are there or the oldest has waited
 * {@code maxWait}, runs them as one batch (padded, see {@link ItemTensor}) and completes each
 * request's future with its own row.
 *
 * <ul>
 *   <li>Backpressure: the queue holds {@code queueCapacity} requests; {@link #submit} blocks while it
 *       is full (in a Flink operator that is ordinary backpressure). Memory is bounded.
 *   <li>Failure isolation: an error while running a batch fails exactly that batch's futures with a
 *       {@link ModelRunException}; the next batch runs as usual. Malformed requests are rejected by
 *       {@link #submit} itself and never reach a batch.
 *   <li>Futures complete on the worker thread: chain heavy work with {@code ...Async} methods.
 * </ul>
 *
 * Instances are shared JVM-wide through {@link SharedSessions}; do not close one directly when it came
 * from there.
 */
public final class BatchedSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchedSession.class);
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final String graph;
  private final String bundleName;
  private final GraphSpec spec;
  private final OrtSession session;
  private final ExecutionProvider provider;
  private final List<ProviderFailure> providerFailures;
  private final BatchingOptions batching;
  private final BlockingQueue<Pending> queue;
  private final SessionMetrics metrics;
  private final List<BatchListener> listeners = new CopyOnWriteArrayList<>();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean closed;

  private record Pending(Map<String, ItemTensor> inputs, CompletableFuture<ItemResult> result, long enqueuedNanos) {}

  public BatchedSession(String graph, String bundleName, GraphSpec spec, SessionFactory.Opened opened,
                        BatchingOptions batching) {
    this.graph = graph;
    this.bundleName = bundleName;
    this.spec = spec;
    this.session = opened.session();
    this.provider = opened.provider();
    this.providerFailures = opened.failures();
    this.batching = batching;
    this.queue = new ArrayBlockingQueue<>(batching.queueCapacity());
    this.metrics = new SessionMetrics(graph, provider.name(), queue::size);
    for (int i = 0; i < batching.workers(); i++) {
      Thread t = new Thread(this::work, "pestream-batcher-" + graph + "-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  /**
   * Queues one request; blocks while the queue is full. Throws {@link IllegalArgumentException} at
   * once for inputs that do not fit the graph (names, dtypes, ranks, fixed dimensions, symbolic
   * dimensions that must agree across inputs), {@link IllegalStateException} after close, and
   * {@link CancellationException} (interrupt flag kept) when interrupted while waiting for space.
   */
  public CompletableFuture<ItemResult> submit(Map<String, ItemTensor> inputs) {
    checkInputs(inputs);
    Pending pending = new Pending(Map.copyOf(inputs), new CompletableFuture<>(), System.nanoTime());
    try {
      while (!queue.offer(pending, POLL_NANOS, TimeUnit.NANOSECONDS)) {
        checkOpen();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for queue space on graph '" + graph + "'");
    }
    if (closed && queue.remove(pending)) {
      checkOpen();
    }
    return pending.result();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("graph '" + graph + "' of " + bundleName + " is closed");
    }
  }

  private void checkInputs(Map<String, ItemTensor> inputs) {
    checkOpen();
    if (inputs.size() != spec.inputs().size() || !inputs.keySet().containsAll(
        spec.inputs().stream().map(TensorSpec::name).toList())) {
      throw new IllegalArgumentException("graph '" + graph + "' takes inputs "
          + spec.inputs().stream().map(TensorSpec::name).toList() + ", got " + inputs.keySet());
    }
    Map<String, Long> symbols = new HashMap<>();
    for (TensorSpec in : spec.inputs()) {
      ItemTensor item = inputs.get(in.name());
      String where = "graph '" + graph + "' input '" + in.name() + "'";
      if (item.dtype() != in.dtype()) {
        throw new IllegalArgumentException(where + " needs " + in.dtype().manifestName() + ", got "
            + item.dtype().manifestName());
      }
      if (item.rank() != in.rank() - 1) {
        throw new IllegalArgumentException(where + " needs an item of rank " + (in.rank() - 1) + " (shape "
            + in.shape().subList(1, in.rank()) + "), got " + java.util.Arrays.toString(item.shape()));
      }
      for (int d = 1; d < in.rank(); d++) {
        Dim dim = in.shape().get(d);
        long size = item.dim(d - 1);
        if (!dim.isSymbolic() && size != dim.size()) {
          throw new IllegalArgumentException(where + ": dimension '" + d + "' must be " + dim.size() + ", got " + size);
        }
        if (dim.isSymbolic()) {
          if (size < 1) {
            throw new IllegalArgumentException(where + ": dimension '" + dim.symbol() + "' is empty");
          }
          Long bound = symbols.putIfAbsent(dim.symbol(), size);
          if (bound != null && bound != size) {
            throw new IllegalArgumentException(where + ": dimension '" + dim.symbol() + "' is " + size
                + " but another input has " + bound);
          }
        }
      }
    }
  }

  /**
   * Without a mask input, a graph cannot tell padding from signal: padding a shorter request to
   * the batch's length changes its answer wherever the graph looks across time (the real DAC
   * codec's last frames, for example). Such graphs only batch requests of identical shapes.
   */
  private boolean batchesOnlyEqualShapes() {
    boolean variable = spec.inputs().stream()
        .anyMatch(in -> in.shape().subList(1, in.shape().size()).stream().anyMatch(Dim::isSymbolic));
    boolean masked = spec.inputs().stream().anyMatch(in -> in.name().contains("mask"));
    return variable && !masked;
  }

  private static boolean sameShapes(Pending a, Pending b) {
    for (Map.Entry<String, ItemTensor> e : a.inputs().entrySet()) {
      if (!Arrays.equals(e.getValue().shape(), b.inputs().get(e.getKey()).shape())) {
        return false;
      }
    }
    return true;
  }

  private void work() {
    Collator collator = new Collator();
    OrtEnvironment env = OrtRuntime.environment();
    long maxWaitNanos = batching.maxWait().toNanos();
    boolean equalShapesOnly = batchesOnlyEqualShapes();
    List<Pending> batch = new ArrayList<>(batching.maxBatch());
    // requests that did not fit the last batch's shape: they go first next time, in order
    Deque<Pending> held = new ArrayDeque<>();
    while (!closed) {
      try {
        Pending first = held.isEmpty() ? queue.poll(POLL_NANOS, TimeUnit.NANOSECONDS) : held.poll();
        if (first == null) {
          continue;
        }
        batch.add(first);
        int heldBefore = held.size();
        for (int i = 0; i < heldBefore && batch.size() < batching.maxBatch(); i++) {
          Pending next = held.poll();
          if (sameShapes(first, next)) {
            batch.add(next);
          } else {
            held.add(next);
          }
        }
        long deadline = first.enqueuedNanos() + maxWaitNanos;
        while (batch.size() < batching.maxBatch()) {
          long remaining = deadline - System.nanoTime();
          Pending next = remaining > 0 ? queue.poll(remaining, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          if (equalShapesOnly && !sameShapes(first, next)) {
            held.add(next);
            if (held.size() >= batching.queueCapacity()) {
              break; // held requests count against the bound: the queue stays full, submitters wait
            }
          } else {
            batch.add(next);
          }
        }
        run(batch, collator, env);
      } catch (InterruptedException e) {
        batch.addAll(held);
        fail(batch, new IllegalStateException("graph '" + graph + "' of " + bundleName + " closed"));
        return;
      } finally {
        batch.clear();
      }
    }
    fail(new ArrayList<>(held), new IllegalStateException("graph '" + graph + "' of " + bundleName + " closed"));
  }

  private void run(List<Pending> batch, Collator collator, OrtEnvironment env) {
    long start = System.nanoTime();
    long[] waits = new long[batch.size()];
    for (int i = 0; i < waits.length; i++) {
      waits[i] = start - batch.get(i).enqueuedNanos();
    }
    List<ItemResult> results = null;
    Throwable failure = null;
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    try {
      for (TensorSpec in : spec.inputs()) {
        List<ItemTensor> items = new ArrayList<>(batch.size());
        for (Pending p : batch) {
          items.add(p.inputs().get(in.name()));
        }
        feed.put(in.name(), collator.tensor(env, in.name(), in.dtype(), items));
      }
      try (OrtSession.Result out = session.run(feed)) {
        results = scatter(out, batch.size());
      }
    } catch (Throwable e) {
      failure = e;
    } finally {
      for (OnnxTensor t : feed.values()) {
        t.close();
      }
    }
    if (failure == null) {
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(results.get(i));
      }
    } else {
      LOG.warn("Batch of {} on graph '{}' of {} failed: {}", batch.size(), graph, bundleName, failure.toString());
      fail(batch, new ModelRunException("graph '" + graph + "' of " + bundleName + ": batch of " + batch.size()
          + " failed: " + failure.getMessage(), failure));
    }
    BatchEvent event = new BatchEvent(graph, batch.size(), waits, System.nanoTime() - start, failure);
    metrics.onBatch(event);
    for (BatchListener listener : listeners) {
      try {
        listener.onBatch(event);
      } catch (RuntimeException e) {
        LOG.warn("Batch listener failed on graph '{}'", graph, e);
      }
    }
  }

  private List<ItemResult> scatter(OrtSession.Result out, int batchSize) {
    Map<String, FloatBuffer> flat = new HashMap<>();
    Map<String, long[]> shapes = new HashMap<>();
    for (TensorSpec o : spec.outputs()) {
      OnnxValue value = out.get(o.name()).orElseThrow(
          () -> new IllegalStateException("graph '" + graph + "' returned no output '" + o.name() + "'"));
      OnnxTensor tensor = (OnnxTensor) value;
      long[] shape = tensor.getInfo().getShape();
      if (shape.length == 0 || shape[0] != batchSize) {
        throw new IllegalStateException("graph '" + graph + "' output '" + o.name() + "' has shape "
            + java.util.Arrays.toString(shape) + " for a batch of " + batchSize);
      }
      flat.put(o.name(), tensor.getFloatBuffer());
      shapes.put(o.name(), java.util.Arrays.copyOfRange(shape, 1, shape.length));
    }
    List<ItemResult> results = new ArrayList<>(batchSize);
    for (int i = 0; i < batchSize; i++) {
      Map<String, float[]> row = new HashMap<>();
      for (Map.Entry<String, FloatBuffer> e : flat.entrySet()) {
        int rowLength = e.getValue().remaining() / batchSize;
        float[] values = new float[rowLength];
        e.getValue().get(i * rowLength, values); // each row straight out of the output, no copy of the whole
        row.put(e.getKey(), values);
      }
      results.add(new ItemResult(row, shapes, batchSize));
    }
    return results;
  }

  private static void fail(List<Pending> batch, Throwable error) {
    for (Pending p : batch) {
      p.result().completeExceptionally(error);
    }
  }

  public void addListener(BatchListener listener) {
    listeners.add(listener);
  }

  public void removeListener(BatchListener listener) {
    listeners.remove(listener);
  }

  public String graph() {
    return graph;
  }

  public GraphSpec spec() {
    return spec;
  }

  /** The execution provider this session runs on. */
  public ExecutionProvider provider() {
    return provider;
  }

  /** Providers tried before {@link #provider()} that failed, with ONNX Runtime's reasons. */
  public List<ProviderFailure> providerFailures() {
    return providerFailures;
  }

  public BatchingOptions batching() {
    return batching;
  }

  public SessionMetrics metrics() {
    return metrics;
  }

  public int queueDepth() {
    return queue.size();
  }

  public boolean isClosed() {
    return closed;
  }

  /** Stops the workers (a running batch finishes), fails queued requests, closes the ONNX Runtime session. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Thread t : workers) {
      t.interrupt();
    }
    for (Thread t : workers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    List<Pending> left = new ArrayList<>();
    queue.drainTo(left);
    fail(left, new IllegalStateException("graph '" + graph + "' of " + bundleName + " closed"));
    SessionFactory.closeQuietly(session);
    LOG.info("Closed graph '{}' of {}", graph, bundleName);
  }
}
