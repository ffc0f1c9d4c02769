package dev.pestream.models.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.models.TestBundles;
import dev.pestream.models.Models;
import dev.pestream.models.metrics.ModelMetricNames;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The default order TensorRT -> CUDA -> CPU really falls back on the CPU-only ONNX Runtime jar
 * (addTensorrt/addCUDA throw there), reports why, logs each failing provider once per JVM, and
 * exposes the provider in use.
 */
class ExecutionProviderFallbackTest {
  private final List<LogEvent> events = new CopyOnWriteArrayList<>();
  private AbstractAppender appender;

  @BeforeEach
  void capture() {
    appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        events.add(event.toImmutable());
      }
    };
    appender.start();
    ((Logger) LogManager.getLogger(SessionFactory.class)).addAppender(appender);
  }

  @AfterEach
  void release() {
    ((Logger) LogManager.getLogger(SessionFactory.class)).removeAppender(appender);
  }

  private long warnings(ExecutionProvider provider) {
    return events.stream().filter(e -> e.getLevel() == Level.WARN)
        .filter(e -> e.getMessage().getFormattedMessage().startsWith("Execution provider " + provider + " is unavailable"))
        .count();
  }

  @Test
  void defaultOrderFallsBackToCpuAndSaysWhy() {
    boolean trtLoggedBefore = SessionFactory.providersLoggedUnavailable().contains(ExecutionProvider.TENSORRT);
    boolean cudaLoggedBefore = SessionFactory.providersLoggedUnavailable().contains(ExecutionProvider.CUDA);
    RuntimeOptions options = RuntimeOptions.builder() // default providers: TENSORRT, CUDA, CPU
        .batching(new BatchingOptions(3, Duration.ofMillis(1), 17, 1)).build();
    assertThat(options.providers()).containsExactly(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA,
        ExecutionProvider.CPU);
    try (Models models = Models.open(TestBundles.dir(), options)) {
      for (String graph : models.graphs()) {
        BatchedSession s = models.session(graph);
        assertThat(s.provider()).isEqualTo(ExecutionProvider.CPU);
        assertThat(s.providerFailures()).extracting(ProviderFailure::provider)
            .containsExactly(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA);
        assertThat(s.providerFailures()).allSatisfy(f -> assertThat(f.reason()).isNotBlank());
        assertThat(s.metrics().provider()).isEqualTo("CPU");
      }
      assertThat(models.provider("audio_codec")).isEqualTo(ExecutionProvider.CPU);
      assertThat(models.audioCodec().encode(new float[1920])).hasNumberOfRows(1);
    }
    // Seven graphs failed on both providers; each provider is warned about once per JVM.
    assertThat(warnings(ExecutionProvider.TENSORRT)).isEqualTo(trtLoggedBefore ? 0 : 1);
    assertThat(warnings(ExecutionProvider.CUDA)).isEqualTo(cudaLoggedBefore ? 0 : 1);
    assertThat(SessionFactory.providersLoggedUnavailable()).contains(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA);
    assertThat(events).anyMatch(e -> e.getLevel() == Level.INFO && e.getMessage().getFormattedMessage()
        .equals("Graph 'audio_codec' of pestream/contract-pe-av@1.0.0 runs on CPU (unavailable: [TENSORRT, CUDA])"));
    assertThat(ModelMetricNames.PROVIDER).isEqualTo("provider");
  }

  @Test
  void noUsableProviderFailsWithEveryReason() {
    RuntimeOptions gpuOnly = RuntimeOptions.builder().providers(ExecutionProvider.CUDA).graphs("audio_codec").build();
    assertThatThrownBy(() -> Models.open(TestBundles.dir(), gpuOnly))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("graph 'audio_codec' of pestream/contract-pe-av@1.0.0: no configured execution provider [CUDA]")
        .hasMessageContaining("CUDA: ");
  }

  @Test
  void tensorRtSettingsBecomeProviderOptions() {
    TensorRtOptions trt = new TensorRtOptions(true, "/cache/engines", "/cache/timing", 1L << 30, java.util.Map.of())
        .withProfile("frame_encoder", new ShapeProfile("pixel_values:1x3x224x224", "pixel_values:16x3x224x224",
            "pixel_values:32x3x224x224"));
    assertThat(trt.providerOptions(1, "frame_encoder")).containsEntry("device_id", "1")
        .containsEntry("trt_fp16_enable", "1")
        .containsEntry("trt_max_workspace_size", Long.toString(1L << 30))
        .containsEntry("trt_engine_cache_enable", "1").containsEntry("trt_engine_cache_path", "/cache/engines")
        .containsEntry("trt_timing_cache_enable", "1").containsEntry("trt_timing_cache_path", "/cache/timing")
        .containsEntry("trt_profile_min_shapes", "pixel_values:1x3x224x224")
        .containsEntry("trt_profile_opt_shapes", "pixel_values:16x3x224x224")
        .containsEntry("trt_profile_max_shapes", "pixel_values:32x3x224x224");
    assertThat(trt.providerOptions(0, "audio_codec")).doesNotContainKey("trt_profile_min_shapes");
    // The CPU jar refuses TensorRT with these options too, and the session still opens on CPU.
    RuntimeOptions options = RuntimeOptions.builder().tensorRt(trt).graphs("frame_encoder").build();
    try (Models models = Models.open(TestBundles.dir(), options)) {
      assertThat(models.provider("frame_encoder")).isEqualTo(ExecutionProvider.CPU);
    }
  }
}
