package dev.pestream.models.runtime;

import ai.onnxruntime.OrtEnvironment;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The JVM's ONNX Runtime environment, initialised on a thread with a large stack. Loading ONNX
 * Runtime 1.29's native libraries needs more stack than a default 1 MB Java thread leaves when
 * the loader is already deep in a call chain: on a plain {@code java} main thread it overflowed
 * into the guard pages and killed the JVM with SIGSEGV (no hs_err file) — in ONNX Runtime's
 * telemetry start-up, which also sends events to Microsoft: every process that runs ONNX Runtime
 * sets {@code ORT_DISABLE_TELEMETRY=1} (the {@code pestream} launcher, the test JVMs, the Flink
 * image and cluster configuration). Once loaded, any thread may use the environment.
 */
public final class OrtRuntime {
  /** Stack of the one-off loader thread. */
  private static final long LOADER_STACK_BYTES = 64L << 20;

  private static volatile OrtEnvironment environment;

  private OrtRuntime() {}

  public static OrtEnvironment environment() {
    OrtEnvironment env = environment;
    if (env != null) {
      return env;
    }
    synchronized (OrtRuntime.class) {
      if (environment == null) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread loader = new Thread(null, () -> {
          try {
            result.set(OrtEnvironment.getEnvironment());
          } catch (Throwable t) {
            result.set(t);
          }
        }, "onnxruntime-loader", LOADER_STACK_BYTES);
        loader.start();
        try {
          loader.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while loading ONNX Runtime", e);
        }
        if (result.get() instanceof Throwable t) {
          throw new IllegalStateException("could not load ONNX Runtime: " + t.getMessage(), t);
        }
        environment = (OrtEnvironment) result.get();
      }
      return environment;
    }
  }
}
