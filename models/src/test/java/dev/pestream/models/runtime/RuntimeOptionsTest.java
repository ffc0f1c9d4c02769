package dev.pestream.models.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeOptionsTest {

  @Test
  void defaultsAreTensorRtCudaCpuWithModestBatching() {
    RuntimeOptions o = RuntimeOptions.defaults();
    assertThat(o.providers()).containsExactly(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA, ExecutionProvider.CPU);
    assertThat(o.batching("anything")).isEqualTo(BatchingOptions.defaults());
    assertThat(o.graphs()).isEmpty();
    assertThat(o.tensorRt().fp16()).isTrue();
  }

  @Test
  void flatKeysConfigureEverything() {
    RuntimeOptions o = RuntimeOptions.fromMap(Map.ofEntries(
        Map.entry("models.providers", "cuda, CPU"),
        Map.entry("models.device-id", "1"),
        Map.entry("models.intra-op-threads", "2"),
        Map.entry("models.tensorrt.fp16", "false"),
        Map.entry("models.tensorrt.engine-cache-dir", "/var/trt"),
        Map.entry("models.tensorrt.timing-cache-dir", "/var/trt-timing"),
        Map.entry("models.tensorrt.workspace-bytes", "1073741824"),
        Map.entry("models.tensorrt.profile.frame_encoder.min", "pixel_values:1x3x224x224"),
        Map.entry("models.tensorrt.profile.frame_encoder.opt", "pixel_values:8x3x224x224"),
        Map.entry("models.tensorrt.profile.frame_encoder.max", "pixel_values:32x3x224x224"),
        Map.entry("models.batch.max-size", "32"),
        Map.entry("models.batch.max-wait-ms", "10"),
        Map.entry("models.batch.queue-capacity", "500"),
        Map.entry("models.batch.workers", "2"),
        Map.entry("models.batch.graph.text_encoder.max-size", "4"),
        Map.entry("models.graphs", "audio_codec,text_encoder"),
        Map.entry("models.text-cache-size", "100"),
        Map.entry("pipeline.name", "not ours")));
    assertThat(o.providers()).containsExactly(ExecutionProvider.CUDA, ExecutionProvider.CPU);
    assertThat(o.deviceId()).isEqualTo(1);
    assertThat(o.intraOpThreads()).isEqualTo(2);
    assertThat(o.tensorRt().fp16()).isFalse();
    assertThat(o.tensorRt().providerOptions(1, "frame_encoder")).containsEntry("trt_engine_cache_path", "/var/trt")
        .containsEntry("trt_timing_cache_path", "/var/trt-timing").containsEntry("trt_max_workspace_size", "1073741824")
        .containsEntry("trt_profile_opt_shapes", "pixel_values:8x3x224x224");
    assertThat(o.batching("audio_codec")).isEqualTo(new BatchingOptions(32, Duration.ofMillis(10), 500, 2));
    assertThat(o.batching("text_encoder")).isEqualTo(new BatchingOptions(4, Duration.ofMillis(10), 500, 2));
    assertThat(o.graphs()).containsExactlyInAnyOrder("audio_codec", "text_encoder");
    assertThat(o.textCacheSize()).isEqualTo(100);
  }

  @Test
  void badValuesAreRejected() {
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.provider", "cpu")))
        .hasMessageContaining("unknown model runtime option 'models.provider'");
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.providers", "cpu,tpu")))
        .hasMessageContaining("unknown execution provider 'tpu'");
    assertThatThrownBy(() -> RuntimeOptions.builder().providers(ExecutionProvider.CPU, ExecutionProvider.CPU).build())
        .hasMessageContaining("repeat");
    assertThatThrownBy(() -> RuntimeOptions.builder().providers().build()).hasMessageContaining("at least one");
    assertThatThrownBy(() -> new BatchingOptions(0, Duration.ZERO, 1, 1)).hasMessageContaining("maxBatch");
    assertThatThrownBy(() -> new BatchingOptions(1, Duration.ofMillis(-1), 1, 1)).hasMessageContaining("maxWait");
    assertThatThrownBy(() -> new ShapeProfile("a:1", "", "a:2")).hasMessageContaining("min, opt and max");
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.tensorrt.profile.frame_encoder.min", "x:1")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void optionsSurviveJavaSerialisationAsFlinkOperatorsNeed() throws Exception {
    RuntimeOptions o = RuntimeOptions.builder().providers(ExecutionProvider.CUDA, ExecutionProvider.CPU)
        .batching("av_encoder", BatchingOptions.of(4, Duration.ofMillis(2))).graphs("av_encoder")
        .tensorRt(TensorRtOptions.defaults().withProfile("av_encoder", new ShapeProfile("a:1", "a:2", "a:3"))).build();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      RuntimeOptions back = (RuntimeOptions) in.readObject();
      assertThat(back).isEqualTo(o).hasSameHashCodeAs(o);
      assertThat(back.sessionKey(java.nio.file.Path.of("/b"), "av_encoder"))
          .isEqualTo(o.sessionKey(java.nio.file.Path.of("/b"), "av_encoder"));
    }
  }

  @Test
  void theKeyTableDrivesDefaultsParsingAndHelp() {
    RuntimeOptions.Builder empty = RuntimeOptions.builder();
    assertThat(RuntimeOptions.fromMap(Map.of())).isEqualTo(empty.build()).isEqualTo(RuntimeOptions.defaults());
    RuntimeOptions d = RuntimeOptions.defaults();
    assertThat(d.providers()).isEqualTo(RuntimeOptions.PROVIDERS.defaultValue());
    assertThat(d.deviceId()).isEqualTo(RuntimeOptions.DEVICE_ID.defaultValue());
    assertThat(d.textCacheSize()).isEqualTo(RuntimeOptions.TEXT_CACHE_SIZE.defaultValue()).isEqualTo(10_000);
    assertThat(d.tensorRt().workspaceBytes()).isEqualTo(RuntimeOptions.TENSORRT_WORKSPACE_BYTES.defaultValue());
    assertThat(d.batching("g").maxBatch()).isEqualTo(RuntimeOptions.BATCH_MAX_SIZE.defaultValue());

    Map<String, String> help = RuntimeOptions.documentedKeys();
    for (RuntimeOptions.Key<?> key : RuntimeOptions.keys()) {
      assertThat(help).containsKey(key.key());
      assertThat(help.get(key.key())).contains("Default: ");
    }
    assertThat(help.get("models.providers")).endsWith("Default: tensorrt,cuda,cpu.");
    assertThat(help.get("models.batch.max-size")).endsWith("Default: " + BatchingOptions.DEFAULT_MAX_BATCH + ".");
    assertThat(help.get("models.batch.max-wait-ms")).endsWith("Default: 5 ms.");
    assertThat(help).containsKey("models.batch.graph.<graph>.max-size|max-wait-ms|queue-capacity|workers")
        .containsKey("models.tensorrt.profile.<graph>.min|opt|max");
    assertThat(help.keySet()).allMatch(k -> k.startsWith("models."));
  }

  @Test
  void perGraphOverridesUseTheSameParsersAndRejectUnknownSettings() {
    RuntimeOptions o = RuntimeOptions.fromMap(Map.of("models.batch.workers", "3",
        "models.batch.graph.text_encoder.max-wait-ms", "7"));
    assertThat(o.batching("text_encoder")).isEqualTo(new BatchingOptions(BatchingOptions.DEFAULT_MAX_BATCH,
        Duration.ofMillis(7), BatchingOptions.DEFAULT_QUEUE_CAPACITY, 3));
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.batch.graph.text_encoder.max-size", "many")))
        .isInstanceOf(NumberFormatException.class);
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.batch.graph.text_encoder.size", "4")))
        .hasMessageContaining("unknown model runtime option 'models.batch.graph.text_encoder.size'");
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.tensorrt.profile.g.mid", "a:1")))
        .hasMessageContaining("unknown model runtime option");
    assertThatThrownBy(() -> RuntimeOptions.fromMap(Map.of("models.device-id", "x")))
        .isInstanceOf(NumberFormatException.class);
  }
}
