package dev.pestream.models;

import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemResult;
import dev.pestream.models.runtime.ItemTensor;
import dev.pestream.models.text.TextEmbeddingCache;
import dev.pestream.models.text.TextTokenizer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Text embeddings per head ({@code audio}, {@code video}, {@code audio_video}, {@code frame_audio}):
 * tokenised with the bundle's tokenizer.json (max length from the manifest, truncated), run through
 * the head's text graph, cached per (bundle, graph, text) with every head of that graph at once.
 */
public final class TextEmbeddings {
  private final BundleManifest manifest;
  private final Map<String, BatchedSession> textSessions;
  private final TextTokenizer tokenizer;
  private final TextEmbeddingCache cache;

  TextEmbeddings(BundleManifest manifest, Map<String, BatchedSession> textSessions, TextTokenizer tokenizer,
                 TextEmbeddingCache cache) {
    this.manifest = manifest;
    this.textSessions = Map.copyOf(textSessions);
    this.tokenizer = tokenizer;
    this.cache = cache;
  }

  /** The embedding of {@code text} for {@code head} (a copy: callers may modify it). */
  public float[] embed(String text, String head) {
    return ModelCalls.await(embedAsync(text, head));
  }

  public CompletableFuture<float[]> embedAsync(String text, String head) {
    HeadSpec spec = head(head);
    BatchedSession session = textSessions.get(spec.graph());
    if (session == null) {
      throw new IllegalStateException("head '" + head + "' needs text graph '" + spec.graph() + "', which is not open");
    }
    return cache.get(spec.graph(), text, () -> compute(session, text))
        .thenApply(outputs -> outputs.get(spec.output()).clone());
  }

  /** {@code sigmoid(dot(embedding, text) * logitScale + logitBias)} for {@code head}. */
  public double probability(float[] embedding, String text, String head) {
    return head(head).probability(embedding, embed(text, head));
  }

  public HeadSpec head(String name) {
    return manifest.head(name);
  }

  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  public TextEmbeddingCache cache() {
    return cache;
  }

  private CompletableFuture<Map<String, float[]>> compute(BatchedSession session, String text) {
    TextTokenizer.Tokens tokens = tokenizer.encode(text);
    int length = tokens.ids().length;
    return session.submit(Map.of(
        "input_ids", ItemTensor.longs(tokens.ids(), length),
        "attention_mask", ItemTensor.longs(tokens.attentionMask(), length)))
        .thenApply(TextEmbeddings::outputs);
  }

  private static Map<String, float[]> outputs(ItemResult result) {
    Map<String, float[]> all = new HashMap<>();
    for (var output : result.outputNames()) {
      all.put(output, result.get(output));
    }
    return all;
  }
}
