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
    MALFORMED_BODY,
    /** Registry wire format (magic byte 0) naming a schema id the registry does not know. */
    UNKNOWN_SCHEMA_ID,
    /** Registry wire format, but the schema id names a schema of another record type. */
    INCOMPATIBLE_SCHEMA,
    /** Registry wire format, but no registry is configured or it could not be reached. */
    REGISTRY_UNAVAILABLE
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
