package dev.pestream.ingest;

/** A chunk could not be delivered: the broker is unreachable or refused it, the blob store failed, or the schema registry did. */
public class PublishException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Where delivery failed. */
  public enum Kind {
    KAFKA,
    BLOB_STORE,
    /** The schema registry is unreachable or refused the MediaChunk schema ({@code --wire-format registry}). */
    SCHEMA_REGISTRY
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
