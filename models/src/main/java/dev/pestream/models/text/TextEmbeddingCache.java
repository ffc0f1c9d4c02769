package dev.pestream.models.text;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Least-recently-used cache of text embeddings by (text graph, text): one entry holds every head
 * output of that graph, so prompts and tag words that repeat are embedded once. Concurrent requests
 * for the same text share one computation; failures are not cached.
 */
public final class TextEmbeddingCache {
  private final int capacity;
  private final LinkedHashMap<Key, CompletableFuture<Map<String, float[]>>> entries;

  private record Key(String graph, String text) {}

  public TextEmbeddingCache(int capacity) {
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<Map<String, float[]>>> eldest) {
        return size() > TextEmbeddingCache.this.capacity;
      }
    };
  }

  /** The cached outputs of {@code graph} for {@code text}, or {@code compute}'s, which are then cached. */
  public CompletableFuture<Map<String, float[]>> get(String graph, String text,
                                                     Supplier<CompletableFuture<Map<String, float[]>>> compute) {
    if (capacity == 0) {
      return compute.get();
    }
    Key key = new Key(graph, text);
    CompletableFuture<Map<String, float[]>> future;
    synchronized (this) {
      future = entries.get(key);
      if (future != null) {
        return future;
      }
      future = new CompletableFuture<>();
      entries.put(key, future);
    }
    CompletableFuture<Map<String, float[]>> mine = future;
    try {
      compute.get().whenComplete((value, error) -> {
        if (error != null) {
          synchronized (this) {
            entries.remove(key, mine);
          }
          mine.completeExceptionally(error);
        } else {
          mine.complete(value);
        }
      });
    } catch (RuntimeException e) {
      synchronized (this) {
        entries.remove(key, mine);
      }
      mine.completeExceptionally(e);
    }
    return mine;
  }

  public synchronized int size() {
    return entries.size();
  }
}
