package dev.pestream.models;

import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@code video_encoder}: a window of frame features {@code [frames][Df]} -> video embedding {@code [E]}. */
public final class VideoEncoder extends RoleClient {
  private final int frameFeatureDim;

  VideoEncoder(BatchedSession session, int frameFeatureDim) {
    super(session);
    this.frameFeatureDim = frameFeatureDim;
  }

  public float[] embed(float[][] frameFeatures) {
    return ModelCalls.await(embedAsync(frameFeatures));
  }

  public CompletableFuture<float[]> embedAsync(float[][] frameFeatures) {
    int n = frameFeatures.length;
    return submit(Map.of(
        "frame_features", ItemTensor.floats(flatten(frameFeatures, frameFeatureDim, "video_encoder"), n, frameFeatureDim),
        "video_mask", ItemTensor.fullMask(n)))
        .thenApply(r -> r.get("video_embedding"));
  }
}
