package dev.pestream.operators.windows;

import dev.pestream.models.Models;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.schemas.Modality;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Runs the window encoders (audio, video, audio-video) on each assembled window through the
 * shared batched sessions. The encoders of one window run concurrently, and windows of every
 * operator instance in the JVM batch together.
 */
public class WindowEncoderStage extends ProcessFunction<WindowInput, WindowEmbeddings> {
  private static final long serialVersionUID = 1L;

  public static final String METRIC_WINDOWS_ENCODED = "windowsEncoded";

  private final ModelsSpec modelsSpec;
  private final Set<Modality> modalities;

  private transient Models models;
  private transient Counter encoded;

  public WindowEncoderStage(ModelsSpec modelsSpec, Set<Modality> modalities) {
    if (modalities.isEmpty()) {
      throw new IllegalArgumentException("at least one embedding modality is required");
    }
    this.modelsSpec = modelsSpec;
    this.modalities = EnumSet.copyOf(modalities);
  }

  @Override
  public void open(OpenContext openContext) {
    models = modelsSpec.open(getRuntimeContext(), List.of("audio_encoder", "video_encoder", "av_encoder"), List.of());
    encoded = getRuntimeContext().getMetricGroup().counter(METRIC_WINDOWS_ENCODED);
  }

  @Override
  public void close() {
    if (models != null) {
      models.close();
      models = null;
    }
  }

  @Override
  public void processElement(WindowInput w, Context ctx, Collector<WindowEmbeddings> out) {
    boolean hasAudio = w.audioFrameCount > 0;
    boolean hasVideo = w.videoFrameCount > 0;
    float[][] audio = hasAudio ? w.audioRows() : null;
    float[][] video = hasVideo ? w.videoRows() : null;
    CompletableFuture<float[]> a = wanted(Modality.AUDIO, hasAudio, models.audioEncoder() != null)
        ? models.audioEncoder().embedAsync(audio) : null;
    CompletableFuture<float[]> v = wanted(Modality.VIDEO, hasVideo, models.videoEncoder() != null)
        ? models.videoEncoder().embedAsync(video) : null;
    CompletableFuture<float[]> av = wanted(Modality.AUDIO_VIDEO, hasAudio && hasVideo, models.avEncoder() != null)
        ? models.avEncoder().embedAsync(audio, video) : null;

    WindowEmbeddings e = new WindowEmbeddings();
    e.streamId = w.streamId;
    e.window = w.window;
    e.startUs = w.startUs;
    e.endUs = w.endUs;
    e.truncated = w.truncated;
    e.ingestTimeMs = w.ingestTimeMs;
    e.audioFrameCount = w.audioFrameCount;
    e.videoFrameCount = w.videoFrameCount;
    e.modelId = models.manifest().modelId();
    e.modelVersion = models.manifest().version();
    e.audio = a == null ? new float[0] : a.join();
    e.video = v == null ? new float[0] : v.join();
    e.audioVideo = av == null ? new float[0] : av.join();
    encoded.inc();
    out.collect(e);
  }

  private boolean wanted(Modality modality, boolean hasInput, boolean hasGraph) {
    return modalities.contains(modality) && hasInput && hasGraph;
  }
}
