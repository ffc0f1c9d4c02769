package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.Modality;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which embeddings the console indexes, and the reason it gives for the others. */
class EmbeddingCheckTest {
  private static final EmbeddingCheck CHECK = new EmbeddingCheck("org/model", 4);

  private static Embedding embedding(String modelId, List<Float> vector) {
    return Embedding.newBuilder().setStreamId("cam").setWindowStartUs(0).setWindowEndUs(1).setModality(Modality.AUDIO)
        .setModelId(modelId).setModelVersion("1").setDim(vector.size()).setVector(vector).setTruncated(false)
        .setFrameCount(1).build();
  }

  @Test
  void theBundlesFiniteEmbeddingsPass() {
    assertThat(CHECK.problemWith(embedding("org/model", List.of(0.5f, -1f, 0f, 3e38f)))).isEmpty();
  }

  @Test
  void anotherModelOrDimensionIsRefused() {
    assertThat(CHECK.problemWith(embedding("else/model", List.of(1f, 1f, 1f, 1f))))
        .hasValue("model id else/model is not the console's bundle org/model");
    assertThat(CHECK.problemWith(embedding("org/model", List.of(1f, 1f, 1f))))
        .hasValue("dimension 3 (declared 3) is not the bundle's 4");
  }

  @Test
  void nonFiniteValuesAreRefusedWithTheirPosition() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      List<Float> vector = new ArrayList<>(Collections.nCopies(4, 0.1f));
      vector.set(2, bad);
      assertThat(CHECK.problemWith(embedding("org/model", vector)))
          .hasValue("value " + bad + " at [2] is not a finite number");
    }
  }
}
