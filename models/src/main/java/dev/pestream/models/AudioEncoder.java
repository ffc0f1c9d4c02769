package dev.pestream.models;

import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@code audio_encoder}: a window of codec features {@code [frames][featureDim]} -> audio embedding {@code [E]}. */
public final class AudioEncoder extends RoleClient {
  private final int featureDim;

  AudioEncoder(BatchedSession session, int featureDim) {
    super(session);
    this.featureDim = featureDim;
  }

  public float[] embed(float[][] features) {
    return ModelCalls.await(embedAsync(features));
  }

  public CompletableFuture<float[]> embedAsync(float[][] features) {
    return submit(Map.of(
        "audio_features", ItemTensor.floats(flatten(features, featureDim, "audio_encoder"), features.length, featureDim),
        "audio_mask", ItemTensor.fullMask(features.length)))
        .thenApply(r -> r.get("audio_embedding"));
  }
}
