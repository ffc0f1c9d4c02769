package dev.pestream.models.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TextEmbeddingCacheTest {

  @Test
  void sharesOneComputationEvictsLeastRecentlyUsedAndForgetsFailures() {
    TextEmbeddingCache cache = new TextEmbeddingCache(2);
    AtomicInteger computed = new AtomicInteger();
    CompletableFuture<Map<String, float[]>> pending = new CompletableFuture<>();
    var a1 = cache.get("g", "a", () -> {
      computed.incrementAndGet();
      return pending;
    });
    var a2 = cache.get("g", "a", () -> {
      computed.incrementAndGet();
      return CompletableFuture.completedFuture(Map.of());
    });
    assertThat(a2).isSameAs(a1);
    pending.complete(Map.of("out", new float[] {1}));
    assertThat(a2.join().get("out")).containsExactly(1f);
    assertThat(computed).hasValue(1);

    cache.get("g", "b", () -> CompletableFuture.completedFuture(Map.of()));
    cache.get("g", "a", () -> CompletableFuture.failedFuture(new AssertionError("a is cached")));
    cache.get("g", "c", () -> CompletableFuture.completedFuture(Map.of())); // evicts b, the least recently used
    assertThat(cache.size()).isEqualTo(2);
    cache.get("other-graph", "a", () -> {
      computed.incrementAndGet();
      return CompletableFuture.completedFuture(Map.of());
    });
    assertThat(computed).as("the key includes the graph").hasValue(2);

    var failed = cache.get("g", "x", () -> CompletableFuture.failedFuture(new IllegalStateException("boom")));
    assertThatThrownBy(failed::join).hasCauseInstanceOf(IllegalStateException.class);
    var retried = cache.get("g", "x", () -> CompletableFuture.completedFuture(Map.of("out", new float[] {2})));
    assertThat(retried.join().get("out")).containsExactly(2f);
  }
}
