package dev.pestream.models.runtime;

import dev.pestream.models.bundle.ModelBundle;

/**
 * The JVM-wide sessions: one {@link BatchedSession} per (bundle folder, graph, providers, TensorRT
 * options, threads, batching), shared by every operator instance and slot of the TaskManager that
 * opens the same graph with the same options. In Flink, all tasks of a job in one TaskManager share
 * the job's class loader, so they share this registry.
 */
public final class SharedSessions {
  private static final SharedRegistry<RuntimeOptions.SessionKey, BatchedSession> REGISTRY = new SharedRegistry<>();

  private SharedSessions() {}

  /** A handle on the shared session of {@code graph}; pass it to {@link #release} exactly once. */
  public static Handle acquire(ModelBundle bundle, String graph, RuntimeOptions options) {
    RuntimeOptions.SessionKey key = options.sessionKey(bundle.dir(), graph);
    BatchedSession session = REGISTRY.acquire(key, k -> new BatchedSession(graph, bundle.name(), bundle.graph(graph),
        SessionFactory.open(bundle.graphFile(graph), graph, bundle.graph(graph), bundle.name(), options),
        options.batching(graph)));
    return new Handle(key, session);
  }

  public static void release(Handle handle) {
    REGISTRY.release(handle.key, handle.session);
  }

  /** How many holders share the session {@code handle} points to. */
  public static int references(Handle handle) {
    return REGISTRY.references(handle.key);
  }

  /** Sessions open in this JVM (class loader). */
  public static int openSessions() {
    return REGISTRY.size();
  }

  /** One holder's reference to a shared session. */
  public static final class Handle {
    private final RuntimeOptions.SessionKey key;
    private final BatchedSession session;

    private Handle(RuntimeOptions.SessionKey key, BatchedSession session) {
      this.key = key;
      this.session = session;
    }

    public BatchedSession session() {
      return session;
    }
  }
}
