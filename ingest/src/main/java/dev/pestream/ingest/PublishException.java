package dev.pestream.ingest;

/** A chunk could not be delivered: the broker is unreachable or refused it, or the blob store failed. */
public class PublishException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Where delivery failed. */
  public enum Kind {
    KAFKA,
    BLOB_STORE
  }

  private final Kind kind;

  public PublishException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
