package dev.pestream.console;

import dev.pestream.models.TextEmbeddings;
import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.schemas.Modality;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * "When did this happen?": the query text through the bundle's text encoder and the chosen
 * modality's head (cached text embeddings of the models module), nearest windows from the index,
 * each scored as the PE models score: {@code sigmoid(dot * logitScale + logitBias)}.
 */
public final class Search {
  /** One ranked moment of the API's {@code results}. */
  public record Result(String streamId, long windowStartUs, long windowEndUs, String modality, double score) {}

  private final TextEmbeddings text;
  private final EmbeddingIndex index;
  private final Set<String> heads;

  public Search(TextEmbeddings text, EmbeddingIndex index, Set<String> heads) {
    this.text = text;
    this.index = index;
    this.heads = Set.copyOf(heads);
  }

  /** The heads of the bundle a search may use (of audio, video, audio_video). */
  public Set<String> heads() {
    return heads;
  }

  public List<Result> run(SearchRequest request) {
    float[] query = text.embed(request.query(), request.head());
    HeadSpec head = text.head(request.head());
    return index.search(request.modality(), query, request.k(), request.streamGlob(), request.fromUs(), request.toUs())
        .stream()
        .map(hit -> new Result(hit.streamId(), hit.windowStartUs(), hit.windowEndUs(),
            hit.modality().name().toLowerCase(Locale.ROOT), head.probabilityOfDot(hit.dot())))
        .toList();
  }

  static Set<String> searchableHeads(Set<String> bundleHeads) {
    return Set.copyOf(bundleHeads.stream()
        .filter(h -> List.of(Modality.values()).stream().anyMatch(m -> m.name().toLowerCase(Locale.ROOT).equals(h)))
        .toList());
  }
}
