package dev.pestream.operators.decode;

/** A chunk that could not be decoded, with a stable {@link DecodeFailure} code and a reason. */
public class DecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  private final DecodeFailure failure;

  public DecodeException(DecodeFailure failure, String reason) {
    this(failure, reason, null);
  }

  public DecodeException(DecodeFailure failure, String reason, Throwable cause) {
    super(reason, cause);
    this.failure = failure;
  }

  public DecodeFailure failure() {
    return failure;
  }
}
