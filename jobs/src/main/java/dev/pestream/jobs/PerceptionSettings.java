package dev.pestream.jobs;

import dev.pestream.connectors.blob.BlobRetryPolicy;
import dev.pestream.jobs.config.JobConfig;
import dev.pestream.jobs.config.PerceptionOptions;
import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.captions.CaptionOptions;
import dev.pestream.operators.captions.CaptionSettings;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodeOptions;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.operators.faults.FaultInjectionOptions;
import dev.pestream.operators.faults.FaultPoints;
import dev.pestream.operators.sequence.ChunkSequencer;
import dev.pestream.operators.sequence.SequencerOptions;
import dev.pestream.operators.spans.PromptSpec;
import dev.pestream.operators.spans.SpanRule;
import dev.pestream.operators.spans.SpanSettings;
import dev.pestream.operators.windows.WindowGrid;
import dev.pestream.schemas.Modality;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Everything the perception job's operators need, derived once from the configuration and the
 * model bundle's manifest (sample rate, frame hop, image size, mean / std, default threshold and
 * frame policy come from the manifest, never from code). {@code captions} is null when captions
 * are off, {@code faults} when no faults are injected (chaos testing).
 */
public record PerceptionSettings(
    JobConfig config,
    ModelsSpec models,
    String modelId,
    boolean contractBundle,
    WindowGrid grid,
    FramePolicy framePolicy,
    VideoPreprocessing preprocessing,
    DecodeLimits decodeLimits,
    URI blobRoot,
    BlobRetryPolicy blobRetries,
    SpanSettings spans,
    Set<Modality> modalities,
    Duration idleTimeout,
    CaptionSettings captions,
    FaultPoints faults) implements Serializable {

  /** Reads the settings for a job on the bundle in {@code bundleDir}. */
  public static PerceptionSettings from(JobConfig config, Path bundleDir) {
    ModelsSpec models = new ModelsSpec(bundleDir.toAbsolutePath().toString(),
        RuntimeOptions.fromMap(config.modelSettings()));
    BundleManifest manifest = models.manifest();
    var flink = config.flink();
    long frameUs = manifest.audio().frameDurationUs();
    long windowUs = flink.get(PerceptionOptions.WINDOW_LENGTH).toNanos() / 1000;
    long hopUs = flink.get(PerceptionOptions.WINDOW_HOP).toNanos() / 1000;
    WindowGrid grid = new WindowGrid(windowUs, hopUs, frameUs);

    String policy = flink.getOptional(DecodeOptions.FRAME_POLICY)
        .orElse(manifest.video() == null ? "native" : manifest.video().framePolicy());
    VideoPreprocessing preprocessing = manifest.video() == null ? VideoPreprocessing.pe(224)
        : new VideoPreprocessing(manifest.video().imageSize(), floats(manifest.video().mean()),
            floats(manifest.video().std()));

    float defaultThreshold = manifest.heads().containsKey("frame_audio")
        ? (float) manifest.head("frame_audio").thresholdOr(0.3) : 0.3f;
    float on = flink.getOptional(PerceptionOptions.SPAN_THRESHOLD).orElse(defaultThreshold);
    float off = flink.getOptional(PerceptionOptions.SPAN_OFF_THRESHOLD).orElse(on);
    int minFrames = (int) Math.max(1, flink.get(PerceptionOptions.SPAN_MIN_DURATION).toNanos() / 1000 / frameUs);
    int mergeGap = (int) (flink.get(PerceptionOptions.SPAN_MERGE_GAP).toNanos() / 1000 / frameUs);
    Duration idle = flink.get(PerceptionOptions.IDLE_TIMEOUT);
    List<PromptSpec> prompts = flink.get(PerceptionOptions.PROMPTS).stream().map(PromptSpec::parse).toList();
    SpanSettings spans = new SpanSettings(prompts, new SpanRule(on, off, minFrames, mergeGap),
        flink.get(PerceptionOptions.SPAN_CONTEXT), idle);

    Set<Modality> modalities = EnumSet.noneOf(Modality.class);
    for (String m : flink.get(PerceptionOptions.EMBEDDING_MODALITIES)) {
      modalities.add(Modality.valueOf(m.trim().toUpperCase(Locale.ROOT)));
    }
    URI blobRoot = flink.getOptional(DecodeOptions.BLOB_ROOT).map(PerceptionSettings::toUri).orElse(null);
    return new PerceptionSettings(config, models, manifest.modelId(), manifest.contract(), grid,
        FramePolicy.parse(policy, windowUs, hopUs), preprocessing, DecodeOptions.limitsFrom(flink), blobRoot,
        DecodeOptions.blobRetriesFrom(flink), spans,
        modalities, idle, CaptionOptions.settings(flink).orElse(null),
        FaultInjectionOptions.pointsFrom(flink).orElse(null));
  }

  /** Whether the job fails on purpose at chosen chunks ({@code testing.fail-on}, chaos testing). */
  public boolean injectsFaults() {
    return faults != null;
  }

  /** Whether PLM captions are on (a {@code captions.endpoint} is set). */
  public boolean captionsOn() {
    return captions != null;
  }

  public ChunkSequencer sequencer() {
    return SequencerOptions.sequencerFrom(config.flink());
  }

  private static URI toUri(String location) {
    return location.contains("://") ? URI.create(location) : Path.of(location).toAbsolutePath().toUri();
  }

  private static float[] floats(List<Double> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i).floatValue();
    }
    return out;
  }
}
