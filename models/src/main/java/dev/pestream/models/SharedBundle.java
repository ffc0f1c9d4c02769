package dev.pestream.models;

import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.text.TextEmbeddingCache;
import dev.pestream.models.text.TextTokenizer;

/** What every user of one bundle folder in the JVM shares: the validated bundle, its tokenizer and text cache. */
final class SharedBundle implements AutoCloseable {
  private final ModelBundle bundle;
  private final TextEmbeddingCache textCache;
  private TextTokenizer tokenizer;

  SharedBundle(ModelBundle bundle, int textCacheSize) {
    this.bundle = bundle;
    this.textCache = new TextEmbeddingCache(textCacheSize);
  }

  ModelBundle bundle() {
    return bundle;
  }

  TextEmbeddingCache textCache() {
    return textCache;
  }

  synchronized TextTokenizer tokenizer() {
    if (tokenizer == null) {
      var text = bundle.manifest().text();
      tokenizer = new TextTokenizer(bundle.file(text.tokenizer()), text.maxLength());
    }
    return tokenizer;
  }

  @Override
  public synchronized void close() {
    if (tokenizer != null) {
      tokenizer.close();
      tokenizer = null;
    }
  }
}
