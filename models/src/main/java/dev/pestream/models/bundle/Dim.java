package dev.pestream.models.bundle;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * One dimension of a tensor shape in the manifest: a fixed size ({@code 128}) or a symbolic name
 * ({@code "batch"}, {@code "frames"}) that varies from call to call.
 */
public record Dim(String symbol, long size) {

  public Dim {
    if (symbol == null && size < 0) {
      throw new IllegalArgumentException("a fixed dimension must be >= 0, got " + size);
    }
  }

  public static Dim fixed(long size) {
    return new Dim(null, size);
  }

  public static Dim symbolic(String symbol) {
    return new Dim(symbol, -1);
  }

  public boolean isSymbolic() {
    return symbol != null;
  }

  @JsonCreator
  static Dim fromJson(Object value) {
    if (value instanceof Number n) {
      return fixed(n.longValue());
    }
    if (value instanceof String s && !s.isBlank()) {
      return symbolic(s);
    }
    throw new IllegalArgumentException("a shape dimension must be an integer or a name, got " + value);
  }

  @JsonValue
  Object toJson() {
    return isSymbolic() ? symbol : size;
  }

  @Override
  public String toString() {
    return isSymbolic() ? symbol : Long.toString(size);
  }
}
