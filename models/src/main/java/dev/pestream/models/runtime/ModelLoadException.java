package dev.pestream.models.runtime;

/** A graph could not be opened with any configured execution provider. */
public class ModelLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
