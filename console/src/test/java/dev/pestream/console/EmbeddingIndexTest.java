package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.operators.alerts.StreamSelector;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.Modality;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk vector index: resuming at the committed offsets, filters, and the dot products it returns. */
class EmbeddingIndexTest {
  private static final String MODEL = "test/model";
  private static final TopicPartition P0 = new TopicPartition("embeddings", 0);
  private static final TopicPartition P1 = new TopicPartition("embeddings", 1);

  @TempDir Path dir;

  static Embedding embedding(String stream, long startUs, Modality modality, float[] vector) {
    List<Float> values = new ArrayList<>();
    for (float v : vector) {
      values.add(v);
    }
    return Embedding.newBuilder().setStreamId(stream).setWindowStartUs(startUs).setWindowEndUs(startUs + 2_000_000)
        .setModality(modality).setModelId(MODEL).setModelVersion("1").setDim(vector.length).setVector(values)
        .setTruncated(false).setFrameCount(50).build();
  }

  private static float[] unit(int dim, int axis, float length) {
    float[] v = new float[dim];
    v[axis] = length;
    return v;
  }

  @Test
  void aReopenedIndexResumesAtTheCommittedOffsetsAndForgetsWhatWasNotCommitted() {
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      assertThat(index.committedOffsets()).isEmpty();
      index.add(embedding("cam-1", 0, Modality.AUDIO, unit(4, 0, 1)), P0, 10);
      index.add(embedding("cam-1", 1_000_000, Modality.AUDIO, unit(4, 1, 1)), P0, 11);
      index.add(embedding("cam-2", 0, Modality.AUDIO, unit(4, 2, 1)), P1, 3);
      index.commit();
      index.add(embedding("cam-2", 1_000_000, Modality.AUDIO, unit(4, 3, 1)), P1, 4); // never committed
      index.advance(P0, 20); // past records that were skipped
      assertThat(index.committedOffsets()).containsExactlyInAnyOrderEntriesOf(Map.of(P0, 12L, P1, 4L));
    }
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      assertThat(index.committedOffsets()).containsExactlyInAnyOrderEntriesOf(Map.of(P0, 12L, P1, 4L));
      assertThat(index.counts()).containsEntry(Modality.AUDIO, 3);
      Map<String, EmbeddingIndex.IndexedStream> streams = index.indexedStreams();
      assertThat(streams).containsOnlyKeys("cam-1", "cam-2");
      assertThat(streams.get("cam-1").counts()).containsEntry(Modality.AUDIO, 2).containsEntry(Modality.VIDEO, 0);
      assertThat(streams.get("cam-1").lastWindowEndUs()).isEqualTo(3_000_000); // its newest window, [1 s, 3 s)
      assertThat(streams.get("cam-2").lastWindowEndUs()).as("the uncommitted newer window is gone").isEqualTo(2_000_000);
      index.add(embedding("cam-2", 1_000_000, Modality.AUDIO, unit(4, 3, 1)), P1, 4); // read again after the restart
      index.advance(P0, 20);
      index.commit();
      assertThat(index.committedOffsets()).containsExactlyInAnyOrderEntriesOf(Map.of(P0, 20L, P1, 5L));
      assertThat(index.counts()).containsEntry(Modality.AUDIO, 4).containsEntry(Modality.VIDEO, 0);
    }
  }

  @Test
  void anIndexOfAnotherModelIsRefused() {
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      index.add(embedding("a", 0, Modality.AUDIO, unit(4, 0, 1)), P0, 0);
      index.commit();
    }
    assertThatThrownBy(() -> EmbeddingIndex.open(dir, "other/model")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("holds embeddings of model test/model");
  }

  @Test
  void searchRanksByDotProductAndReturnsIt() {
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      // positive and negative dot products: Lucene's score must be inverted exactly for both
      float[][] vectors = {{0.5f, 0, 0}, {2f, 0, 0}, {-1f, 0, 0}, {0, 3f, 0}};
      for (int i = 0; i < vectors.length; i++) {
        index.add(embedding("s", i * 1_000_000L, Modality.VIDEO, vectors[i]), P0, i);
      }
      index.commit();
      List<EmbeddingIndex.Hit> hits = index.search(Modality.VIDEO, new float[] {1.5f, 0, 0}, 4, null, null, null);
      assertThat(hits).extracting(EmbeddingIndex.Hit::windowStartUs).containsExactly(1_000_000L, 0L, 3_000_000L, 2_000_000L);
      double[] dots = {3.0, 0.75, 0.0, -1.5};
      for (int i = 0; i < dots.length; i++) {
        assertThat(hits.get(i).dot()).isCloseTo(dots[i], within(1e-6));
      }
      assertThat(index.search(Modality.AUDIO, new float[] {1.5f, 0, 0}, 4, null, null, null)).isEmpty();
    }
  }

  @Test
  void aSearchFindsOnlyTheWindowsOfItsModality() {
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      long offset = 0;
      for (Modality m : Modality.values()) {
        for (int i = 0; i < 3; i++) {
          index.add(embedding("cam-" + m, i * 1_000_000L, m, unit(4, 0, 1 + i)), P0, offset++);
        }
      }
      index.commit();
      for (Modality m : Modality.values()) {
        assertThat(index.search(m, unit(4, 0, 1), 10, null, null, null)).as("search of %s", m).hasSize(3)
            .allSatisfy(hit -> assertThat(hit.modality()).isEqualTo(m))
            .allSatisfy(hit -> assertThat(hit.streamId()).isEqualTo("cam-" + m));
      }
    }
  }

  @Test
  void dotFromScoreInvertsLucenesMaximumInnerProductScaling() {
    for (double dot : new double[] {-40, -1, -0.25, 0, 0.25, 1, 17}) {
      float score = org.apache.lucene.util.VectorUtil.scaleMaxInnerProductScore((float) dot);
      assertThat(EmbeddingIndex.dotFromScore(score)).as("dot %s", dot).isCloseTo(dot, within(1e-4 * Math.max(1, Math.abs(dot))));
    }
  }

  @Test
  void streamGlobAndTimeRangeFilterLikeTheRulesSelector() {
    List<String> streams = List.of("cam-1", "cam-10", "cam-2", "lobby", "door*1", "back\\slash", "Cam-1");
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      long offset = 0;
      for (String s : streams) {
        for (int w = 0; w < 5; w++) {
          index.add(embedding(s, w * 2_000_000L, Modality.AUDIO, unit(2, 0, 1)), P0, offset++);
        }
      }
      index.commit();
      for (String glob : List.of("cam-*", "cam-?", "*1*", "door*1", "back\\slash", "l?bb*", "*", "nothing")) {
        List<String> found = index.search(Modality.AUDIO, new float[] {1, 0}, 100, glob, null, null).stream()
            .map(EmbeddingIndex.Hit::streamId).distinct().sorted().toList();
        List<String> expected = streams.stream().filter(s -> StreamSelector.matches(glob, s)).sorted().toList();
        assertThat(found).as(glob).isEqualTo(expected);
      }
      // windows [0,2) [2,4) [4,6) [6,8) [8,10) s: those overlapping [3 s, 6 s]
      List<Long> starts = index.search(Modality.AUDIO, new float[] {1, 0}, 100, "lobby", 3_000_000L, 6_000_000L).stream()
          .map(EmbeddingIndex.Hit::windowStartUs).sorted().toList();
      assertThat(starts).containsExactly(2_000_000L, 4_000_000L, 6_000_000L);
    }
  }

  @Test
  void approximateSearchFindsTheExactNeighboursOfRandomVectors() {
    Random random = new Random(3);
    int dim = 32;
    List<float[]> vectors = new ArrayList<>();
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, MODEL)) {
      for (int i = 0; i < 2_000; i++) {
        float[] v = new float[dim];
        for (int d = 0; d < dim; d++) {
          v[d] = (float) random.nextGaussian();
        }
        vectors.add(v);
        index.add(embedding("s", i * 1_000L, Modality.AUDIO_VIDEO, v), P0, i);
      }
      index.commit();
      float[] query = vectors.get(17).clone();
      List<EmbeddingIndex.Hit> hits = index.search(Modality.AUDIO_VIDEO, query, 10, null, null, null);
      List<Long> exact = new ArrayList<>();
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < vectors.size(); i++) {
        order.add(i);
      }
      order.sort((a, b) -> Double.compare(dot(vectors.get(b), query), dot(vectors.get(a), query)));
      order.subList(0, 10).forEach(i -> exact.add(i * 1_000L));
      long overlap = hits.stream().filter(h -> exact.contains(h.windowStartUs())).count();
      assertThat(overlap).isGreaterThanOrEqualTo(9);
      assertThat(hits.get(0).dot()).isCloseTo(dot(vectors.get(order.get(0)), query), within(1e-3));
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
