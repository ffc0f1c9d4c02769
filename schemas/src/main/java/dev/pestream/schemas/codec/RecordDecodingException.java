package dev.pestream.schemas.codec;

/** Bytes that are not a record this codec can read; the message says why in plain words. */
public final class RecordDecodingException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Stable, machine-readable reasons, used as the dead letter's error class. */
  public enum Kind {
    EMPTY,
    NOT_SINGLE_OBJECT,
    UNKNOWN_FINGERPRINT,
    TOO_LARGE,
    MALFORMED_BODY
  }

  private final Kind kind;

  public RecordDecodingException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
