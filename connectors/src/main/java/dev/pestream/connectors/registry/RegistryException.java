package dev.pestream.connectors.registry;

/** A schema registry call that did not succeed; {@link #kind()} says whether retrying can help. */
public final class RegistryException extends Exception {
  private static final long serialVersionUID = 1L;

  public enum Kind {
    /** The schema id or the subject's schema is not in the registry (HTTP 404). */
    NOT_FOUND,
    /** The registry answered no: bad credentials (401/403), an incompatible schema (409), a bad request (4xx). */
    REFUSED,
    /** No answer, or a server error (5xx): the registry is down or unreachable. */
    UNAVAILABLE
  }

  private final Kind kind;

  public RegistryException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
