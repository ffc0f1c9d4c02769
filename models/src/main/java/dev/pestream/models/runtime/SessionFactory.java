package dev.pestream.models.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import dev.pestream.models.bundle.BundleValidationException;
import dev.pestream.models.bundle.GraphSpec;
import dev.pestream.models.bundle.GraphValidator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens one ONNX graph, trying execution providers in the configured order. A provider that fails
 * (the CPU jar has no CUDA/TensorRT; a GPU jar on a machine without CUDA fails at load) is logged
 * once per JVM with ONNX Runtime's reason and the next one is tried; the provider in use is logged
 * for every session. The opened graph is checked against its manifest entry.
 */
public final class SessionFactory {
  private static final Logger LOG = LoggerFactory.getLogger(SessionFactory.class);
  private static final Set<ExecutionProvider> LOGGED_FAILURES = ConcurrentHashMap.newKeySet();

  private SessionFactory() {}

  /** Providers whose unavailability this JVM has already logged (each is logged once). */
  public static Set<ExecutionProvider> providersLoggedUnavailable() {
    return Set.copyOf(LOGGED_FAILURES);
  }

  /** An open session, the provider it runs on, and the providers that were tried before it and failed. */
  public record Opened(OrtSession session, ExecutionProvider provider, List<ProviderFailure> failures) {}

  public static Opened open(Path modelFile, String graph, GraphSpec spec, String bundleName, RuntimeOptions options) {
    OrtEnvironment env = OrtRuntime.environment();
    List<ProviderFailure> failures = new ArrayList<>();
    for (ExecutionProvider provider : options.providers()) {
      OrtSession session;
      try (OrtSession.SessionOptions so = sessionOptions(provider, graph, options)) {
        session = env.createSession(modelFile.toString(), so);
      } catch (OrtException | RuntimeException | LinkageError e) {
        if (provider == ExecutionProvider.CPU) {
          throw new ModelLoadException("graph '" + graph + "' of " + bundleName + " (" + modelFile
              + ") failed to load on CPU: " + e.getMessage() + priorFailures(failures), e);
        }
        ProviderFailure failure = new ProviderFailure(provider, String.valueOf(e.getMessage()));
        failures.add(failure);
        if (LOGGED_FAILURES.add(provider)) {
          LOG.warn("Execution provider {} is unavailable, trying the next one: {}", provider, failure.reason());
        } else {
          LOG.debug("Execution provider {} is unavailable for graph {}: {}", provider, graph, failure.reason());
        }
        continue;
      }
      validate(session, graph, spec, bundleName);
      LOG.info("Graph '{}' of {} runs on {}{}", graph, bundleName, provider,
          failures.isEmpty() ? "" : " (unavailable: " + failures.stream().map(ProviderFailure::provider).toList() + ")");
      return new Opened(session, provider, List.copyOf(failures));
    }
    throw new ModelLoadException("graph '" + graph + "' of " + bundleName + ": no configured execution provider "
        + options.providers() + " could be used" + priorFailures(failures), null);
  }

  private static String priorFailures(List<ProviderFailure> failures) {
    return failures.isEmpty() ? "" : " (" + failures.stream().map(f -> f.provider() + ": " + f.reason()).toList() + ")";
  }

  private static OrtSession.SessionOptions sessionOptions(ExecutionProvider provider, String graph, RuntimeOptions o)
      throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (o.intraOpThreads() > 0) {
        so.setIntraOpNumThreads(o.intraOpThreads());
      }
      switch (provider) {
        case TENSORRT -> {
          try (OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(o.deviceId())) {
            for (Map.Entry<String, String> e : o.tensorRt().providerOptions(o.deviceId(), graph).entrySet()) {
              trt.add(e.getKey(), e.getValue());
            }
            so.addTensorrt(trt);
          }
          // Nodes TensorRT cannot take run on CUDA rather than falling back to the CPU.
          addCuda(so, o.deviceId());
        }
        case CUDA -> addCuda(so, o.deviceId());
        case CPU -> { }
      }
      return so;
    } catch (OrtException | RuntimeException | LinkageError e) {
      so.close();
      throw e;
    }
  }

  /** ONNX Runtime copies provider options when they are added, so they are closed right away. */
  private static void addCuda(OrtSession.SessionOptions so, int deviceId) throws OrtException {
    try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(deviceId)) {
      so.addCUDA(cuda);
    }
  }

  private static void validate(OrtSession session, String graph, GraphSpec spec, String bundleName) {
    List<String> problems;
    try {
      problems = GraphValidator.check(graph, spec, session.getInputInfo(), session.getOutputInfo());
    } catch (OrtException e) {
      closeQuietly(session);
      throw new BundleValidationException(bundleName, "graph '" + graph + "': cannot read its inputs/outputs", e);
    }
    if (!problems.isEmpty()) {
      closeQuietly(session);
      throw new BundleValidationException(bundleName, problems);
    }
  }

  static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      LOG.warn("Closing an ONNX Runtime session failed", e);
    }
  }
}
