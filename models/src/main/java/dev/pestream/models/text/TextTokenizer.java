package dev.pestream.models.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A bundle's {@code tokenizer.json} through DJL's Hugging Face tokenizers (native, offline):
 * special tokens added, truncated to the manifest's {@code maxLength} (512 for ModernBERT), no
 * padding (the batcher pads).
 */
public final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;

  /** Token ids and attention mask of one text. */
  public record Tokens(long[] ids, long[] attentionMask) {}

  public TextTokenizer(Path tokenizerJson, int maxLength) {
    this.maxLength = maxLength;
    try {
      this.tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerJson)
          .optAddSpecialTokens(true)
          .optTruncation(true)
          .optMaxLength(maxLength)
          .optPadding(false)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson, e);
    }
  }

  public Tokens encode(String text) {
    Encoding encoding = tokenizer.encode(text);
    return new Tokens(encoding.getIds(), encoding.getAttentionMask());
  }

  public int maxLength() {
    return maxLength;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
