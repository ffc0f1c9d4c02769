package dev.pestream.console;

import dev.pestream.schemas.Embedding;
import java.util.Optional;

/** Which embeddings the index takes: those of the console's bundle, with its dimension and finite values. */
public record EmbeddingCheck(String modelId, int dim) {
  /** Why {@code e} cannot be indexed, or empty. */
  public Optional<String> problemWith(Embedding e) {
    if (!modelId.equals(e.getModelId())) {
      return Optional.of("model id " + e.getModelId() + " is not the console's bundle " + modelId);
    }
    if (e.getDim() != dim || e.getVector().size() != dim) {
      return Optional.of("dimension " + e.getVector().size() + " (declared " + e.getDim() + ") is not the bundle's " + dim);
    }
    // Lucene refuses such a vector (and an fp16 graph that overflows writes them): one must not stop the index
    for (int i = 0; i < dim; i++) {
      if (!Float.isFinite(e.getVector().get(i))) {
        return Optional.of("value " + e.getVector().get(i) + " at [" + i + "] is not a finite number");
      }
    }
    return Optional.empty();
  }
}
