package dev.pestream.connectors.plm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlmCallExceptionTest {
  @Test
  void failuresAreClassifiedForRetriesAndTheBreaker() {
    assertThat(PlmCallException.http(429, Optional.empty(), "x").retryable()).isTrue();
    assertThat(PlmCallException.http(429, Optional.empty(), "x").breakerResult()).isEqualTo(CircuitBreaker.Result.NEUTRAL);
    assertThat(PlmCallException.http(503, Optional.empty(), "x").retryable()).isTrue();
    assertThat(PlmCallException.http(503, Optional.empty(), "x").breakerResult()).isEqualTo(CircuitBreaker.Result.FAILURE);
    assertThat(PlmCallException.http(501, Optional.empty(), "x").retryable()).isFalse();
    assertThat(PlmCallException.http(400, Optional.empty(), "x").retryable()).isFalse();
    assertThat(PlmCallException.http(401, Optional.empty(), "x").breakerResult()).isEqualTo(CircuitBreaker.Result.SUCCESS);
    assertThat(PlmCallException.http(422, Optional.empty(), "x").code()).isEqualTo("HTTP_422");
    assertThat(PlmCallException.timeout(Duration.ofSeconds(1)).retryable()).isTrue();
    assertThat(PlmCallException.connection(new java.io.IOException("reset")).breakerResult())
        .isEqualTo(CircuitBreaker.Result.FAILURE);
    assertThat(PlmClient.parseRetryAfter("7")).contains(Duration.ofSeconds(7));
    assertThat(PlmClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).contains(Duration.ZERO);
    assertThat(PlmClient.parseRetryAfter("soon")).isEmpty();
  }
}
