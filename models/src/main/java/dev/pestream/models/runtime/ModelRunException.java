package dev.pestream.models.runtime;

/** A batch failed in ONNX Runtime; every request of that batch (and only those) gets this error. */
public class ModelRunException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelRunException(String message, Throwable cause) {
    super(message, cause);
  }
}
