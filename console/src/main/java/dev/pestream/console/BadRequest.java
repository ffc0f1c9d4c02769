package dev.pestream.console;

/** A request the caller can fix: answered with HTTP 400 and {@code {"error": message}}. */
public final class BadRequest extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadRequest(String whatToChange) {
    super(whatToChange);
  }
}
