package dev.pestream.ingest;

/** The media source could not be opened or stopped delivering. */
public class SourceException extends Exception {
  private static final long serialVersionUID = 1L;

  /** How the source failed. */
  public enum Kind {
    /** Could not be opened at all (missing file, refused connection, unknown format). */
    UNREADABLE,
    /** Nothing arrived within the I/O timeout. */
    STALLED,
    /** A read failed after the source was open (dropped connection, damaged file). */
    FAILED
  }

  private final Kind kind;

  public SourceException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
