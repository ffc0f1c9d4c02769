package dev.pestream.models;

import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code frame_level_audio} (PE-A-Frame): codec features {@code [frames][featureDim]} -> one
 * embedding per 40 ms frame {@code [frames][E]}, scored against the {@code frame_audio} head.
 */
public final class FrameLevelAudio extends RoleClient {
  private final int featureDim;
  private final int embeddingDim;

  FrameLevelAudio(BatchedSession session, int featureDim, int embeddingDim) {
    super(session);
    this.featureDim = featureDim;
    this.embeddingDim = embeddingDim;
  }

  public float[][] embed(float[][] features) {
    return ModelCalls.await(embedAsync(features));
  }

  public CompletableFuture<float[][]> embedAsync(float[][] features) {
    int f = features.length;
    return submit(Map.of(
        "audio_features", ItemTensor.floats(flatten(features, featureDim, "frame_level_audio"), f, featureDim),
        "audio_mask", ItemTensor.fullMask(f)))
        .thenApply(r -> rows(r.get("frame_embeddings"), f, embeddingDim));
  }
}
