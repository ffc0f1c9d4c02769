package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.models.ContractBundle;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.Modality;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Search through the contract bundle's real text encoder: ranking and the PE score formula. */
class SearchTest {
  @TempDir Path dir;

  @Test
  void scoresAreTheHeadsSigmoidOfTheScaledDotProduct() {
    Path bundle = ContractBundle.materialize(dir.resolve("bundle"));
    try (Models models = Models.open(bundle, RuntimeOptions.cpu().toBuilder().graphs("text_encoder").build());
         EmbeddingIndex index = EmbeddingIndex.open(dir.resolve("index"), models.manifest().modelId())) {
      float[] beep = models.text().embed("beep", "audio");
      float[] hum = models.text().embed("hum", "audio");
      TopicPartition tp = new TopicPartition("embeddings", 0);
      index.add(window("tone", 0, hum), tp, 0);
      index.add(window("tone", 2_000_000, beep), tp, 1);
      index.add(window("quiet", 0, scaled(hum, 0.5f)), tp, 2);
      index.commit();
      Search search = new Search(models.text(), index, Set.of("audio", "video", "audio_video"));

      List<Search.Result> results = search.run(new SearchRequest("beep", Modality.AUDIO, "audio", 3, null, null, null));

      assertThat(results.get(0).streamId()).isEqualTo("tone");
      assertThat(results.get(0).windowStartUs()).isEqualTo(2_000_000);
      assertThat(results.get(0).modality()).isEqualTo("audio");
      HeadSpec head = models.manifest().head("audio");
      for (Search.Result r : results) {
        float[] stored = r.windowStartUs() == 2_000_000 ? beep : r.streamId().equals("quiet") ? scaled(hum, 0.5f) : hum;
        double dot = EmbeddingIndexTest.dot(stored, beep);
        double expected = 1 / (1 + Math.exp(-(dot * head.logitScale() + head.logitBias())));
        assertThat(r.score()).as(r.toString()).isCloseTo(expected, within(1e-4));
      }
      assertThat(results).extracting(Search.Result::score).isSortedAccordingTo((a, b) -> Double.compare(b, a));
    }
  }

  private static float[] scaled(float[] v, float f) {
    float[] out = v.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] *= f;
    }
    return out;
  }

  private static Embedding window(String stream, long startUs, float[] vector) {
    Embedding e = EmbeddingIndexTest.embedding(stream, startUs, Modality.AUDIO, vector);
    e.setModelId("pestream/contract-pe-av");
    return e;
  }
}
