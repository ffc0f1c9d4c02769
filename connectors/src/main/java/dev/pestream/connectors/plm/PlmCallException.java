package dev.pestream.connectors.plm;

import java.time.Duration;
import java.util.Optional;

/** Why one HTTP attempt to the PLM server failed, and whether trying again can help. */
public final class PlmCallException extends Exception {
  private static final long serialVersionUID = 1L;

  public enum Kind {
    /** The server answered with a non-2xx status. */
    HTTP_STATUS,
    /** No (complete) answer within the request timeout. */
    TIMEOUT,
    /** Connection refused/reset and other I/O failures. */
    CONNECTION,
    /** TLS handshake failed (untrusted certificate, wrong host name): a configuration error. */
    TLS,
    /** A 2xx answer that is not a chat completion, or one too large. */
    BAD_RESPONSE
  }

  private final Kind kind;
  private final int status;
  private final transient Optional<Duration> retryAfter;

  PlmCallException(Kind kind, int status, Optional<Duration> retryAfter, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public static PlmCallException http(int status, Optional<Duration> retryAfter, String detail) {
    return new PlmCallException(Kind.HTTP_STATUS, status, retryAfter, "HTTP " + status + ": " + detail, null);
  }

  public static PlmCallException timeout(Duration limit) {
    return new PlmCallException(Kind.TIMEOUT, 0, Optional.empty(), "no answer within " + limit.toMillis() + " ms", null);
  }

  public static PlmCallException connection(Throwable cause) {
    return new PlmCallException(Kind.CONNECTION, 0, Optional.empty(),
        "connection failed: " + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()),
        cause);
  }

  public static PlmCallException tls(Throwable cause) {
    return new PlmCallException(Kind.TLS, 0, Optional.empty(),
        "TLS handshake failed (is the server's certificate in the configured trust store?): " + cause.getMessage(), cause);
  }

  public static PlmCallException badResponse(String detail) {
    return new PlmCallException(Kind.BAD_RESPONSE, 0, Optional.empty(), detail, null);
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, 0 when there was none. */
  public int status() {
    return status;
  }

  public Optional<Duration> retryAfter() {
    return retryAfter == null ? Optional.empty() : retryAfter;
  }

  /** 408, 429, 5xx (except 501 and 505), timeouts and connection failures are worth retrying. */
  public boolean retryable() {
    return switch (kind) {
      case TIMEOUT, CONNECTION -> true;
      case HTTP_STATUS -> status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
      case TLS, BAD_RESPONSE -> false;
    };
  }

  /** How this failure counts for the circuit breaker: only signs of a sick server count against it. */
  public CircuitBreaker.Result breakerResult() {
    return switch (kind) {
      case TIMEOUT, CONNECTION -> CircuitBreaker.Result.FAILURE;
      case HTTP_STATUS -> status >= 500 ? CircuitBreaker.Result.FAILURE
          : status == 429 ? CircuitBreaker.Result.NEUTRAL : CircuitBreaker.Result.SUCCESS;
      case TLS -> CircuitBreaker.Result.NEUTRAL;
      case BAD_RESPONSE -> CircuitBreaker.Result.SUCCESS;
    };
  }

  /** A stable code for the failure, for Caption.errorClass and dead letters. */
  public String code() {
    return kind == Kind.HTTP_STATUS ? "HTTP_" + status : kind.name();
  }
}
