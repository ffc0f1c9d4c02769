package dev.pestream.models.runtime;

import java.io.Serializable;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TensorRT execution provider settings. Engine and timing caches matter: without them every
 * TaskManager start rebuilds the engines (minutes for large graphs).
 *
 * @param fp16 build fp16 engines ({@code trt_fp16_enable})
 * @param engineCacheDir where built engines are cached ({@code trt_engine_cache_path}); null = no cache
 * @param timingCacheDir where the timing cache lives ({@code trt_timing_cache_path}); null = none
 * @param workspaceBytes TensorRT workspace limit ({@code trt_max_workspace_size})
 * @param profiles per graph name: min/opt/max shapes of its dynamic inputs
 */
public record TensorRtOptions(boolean fp16, String engineCacheDir, String timingCacheDir, long workspaceBytes,
                              Map<String, ShapeProfile> profiles) implements Serializable {

  public static final long DEFAULT_WORKSPACE_BYTES = 4L << 30;

  public TensorRtOptions {
    if (workspaceBytes <= 0) {
      throw new IllegalArgumentException("TensorRT workspace must be > 0 bytes");
    }
    profiles = profiles == null ? Map.of() : Map.copyOf(profiles);
  }

  public static TensorRtOptions defaults() {
    return new TensorRtOptions(true, null, null, DEFAULT_WORKSPACE_BYTES, Map.of());
  }

  public TensorRtOptions withProfile(String graph, ShapeProfile profile) {
    Map<String, ShapeProfile> copy = new HashMap<>(profiles);
    copy.put(graph, profile);
    return new TensorRtOptions(fp16, engineCacheDir, timingCacheDir, workspaceBytes, copy);
  }

  /** ONNX Runtime TensorRT provider option keys and values for one graph. */
  public Map<String, String> providerOptions(int deviceId, String graph) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("device_id", Integer.toString(deviceId));
    o.put("trt_fp16_enable", fp16 ? "1" : "0");
    o.put("trt_max_workspace_size", Long.toString(workspaceBytes));
    if (engineCacheDir != null) {
      o.put("trt_engine_cache_enable", "1");
      o.put("trt_engine_cache_path", engineCacheDir);
    }
    if (timingCacheDir != null) {
      o.put("trt_timing_cache_enable", "1");
      o.put("trt_timing_cache_path", timingCacheDir);
    }
    ShapeProfile profile = profiles.get(graph);
    if (profile != null) {
      o.put("trt_profile_min_shapes", profile.min());
      o.put("trt_profile_opt_shapes", profile.opt());
      o.put("trt_profile_max_shapes", profile.max());
    }
    return o;
  }
}
