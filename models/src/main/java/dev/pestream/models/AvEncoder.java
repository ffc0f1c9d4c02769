package dev.pestream.models;

import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code av_encoder}: a window's audio features {@code [frames][featureDim]} and frame features
 * {@code [videoFrames][Df]} -> audio-video embedding {@code [E]}. The graph aligns video frames to
 * audio frames itself (nearest neighbour), so the two lists need not have the same length.
 */
public final class AvEncoder extends RoleClient {
  private final int featureDim;
  private final int frameFeatureDim;

  AvEncoder(BatchedSession session, int featureDim, int frameFeatureDim) {
    super(session);
    this.featureDim = featureDim;
    this.frameFeatureDim = frameFeatureDim;
  }

  public float[] embed(float[][] audioFeatures, float[][] frameFeatures) {
    return ModelCalls.await(embedAsync(audioFeatures, frameFeatures));
  }

  public CompletableFuture<float[]> embedAsync(float[][] audioFeatures, float[][] frameFeatures) {
    int f = audioFeatures.length;
    int n = frameFeatures.length;
    return submit(Map.of(
        "audio_features", ItemTensor.floats(flatten(audioFeatures, featureDim, "av_encoder audio"), f, featureDim),
        "audio_mask", ItemTensor.fullMask(f),
        "frame_features", ItemTensor.floats(flatten(frameFeatures, frameFeatureDim, "av_encoder video"), n,
            frameFeatureDim),
        "video_mask", ItemTensor.fullMask(n)))
        .thenApply(r -> r.get("audio_video_embedding"));
  }
}
