package dev.pestream.connectors.plm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * One HTTP attempt against an OpenAI-compatible {@code /v1/chat/completions} endpoint: POST the
 * request body, wait at most the given time for the whole answer, parse it. The API key goes in
 * an {@code Authorization: Bearer} header and nowhere else (never in messages or logs).
 * Thread-safe; one instance serves every caller of a server.
 */
public final class PlmClient {
  /** Answers larger than this are refused (a caption is a few hundred tokens). */
  public static final int MAX_RESPONSE_BYTES = 1 << 20;

  private final HttpClient http;
  private final URI url;
  private final String authorization;

  PlmClient(HttpClient http, URI url, Optional<String> apiKey) {
    this.http = http;
    this.url = url;
    this.authorization = apiKey.map(k -> "Bearer " + k).orElse(null);
  }

  /** A client for {@code server}: reads the API key and the trust store now. */
  public static PlmClient create(PlmServer server, PlmCallPolicy policy) {
    HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(min(policy.requestTimeout(), Duration.ofSeconds(10)))
        .sslContext(server.tls().sslContext())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    return new PlmClient(http, server.chatCompletionsUrl(), server.apiKey().resolve());
  }

  public URI url() {
    return url;
  }

  /** Sends {@code body} and returns the parsed answer, or throws why not (blocking, interruptible). */
  public ChatCompletions.Answer call(byte[] body, Duration timeout) throws PlmCallException, InterruptedException {
    return call(body, timeout, () -> {});
  }

  /**
   * As {@link #call(byte[], Duration)}; {@code onSent} runs once the whole body has been handed to
   * the connection (or, if it never is, when the call ends).
   */
  public ChatCompletions.Answer call(byte[] body, Duration timeout, Runnable onSent)
      throws PlmCallException, InterruptedException {
    Runnable once = once(onSent);
    try {
      return send(body, timeout, once);
    } finally {
      once.run();
    }
  }

  private ChatCompletions.Answer send(byte[] body, Duration timeout, Runnable onSent)
      throws PlmCallException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(url)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .POST(new NotifyingBody(HttpRequest.BodyPublishers.ofByteArray(body), onSent));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request.build(), info -> new LimitedBody(MAX_RESPONSE_BYTES));
    HttpResponse<byte[]> response;
    try {
      // HttpRequest.timeout covers the wait for the headers only: bound the body as well.
      response = pending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw PlmCallException.timeout(timeout);
    } catch (InterruptedException e) {
      pending.cancel(true);
      throw e;
    } catch (CancellationException e) {
      throw PlmCallException.connection(e);
    } catch (ExecutionException e) {
      throw classify(e.getCause() == null ? e : e.getCause(), timeout);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      throw PlmCallException.http(status, retryAfter(response), ChatCompletions.errorMessage(response.body()));
    }
    return ChatCompletions.parseAnswer(response.body());
  }

  private static PlmCallException classify(Throwable error, Duration timeout) {
    if (error instanceof PlmCallException e) {
      return e;
    }
    if (error instanceof HttpTimeoutException) {
      return PlmCallException.timeout(timeout);
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return PlmCallException.tls(t);
      }
      if (t instanceof ResponseTooLarge) {
        return PlmCallException.badResponse(t.getMessage());
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return PlmCallException.connection(error instanceof IOException ? error : new IOException(error));
  }

  /** {@code Retry-After} as delta-seconds or an HTTP date. */
  static Optional<Duration> retryAfter(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").flatMap(PlmClient::parseRetryAfter);
  }

  static Optional<Duration> parseRetryAfter(String value) {
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (DateTimeParseException notADate) {
        return Optional.empty();
      }
    }
  }

  private static Runnable once(Runnable r) {
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        r.run();
      }
    };
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static final class ResponseTooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    ResponseTooLarge(int limit) {
      super("the server's answer exceeds " + limit + " bytes");
    }
  }

  /** A request body that tells when its last byte has been handed to the connection. */
  private record NotifyingBody(HttpRequest.BodyPublisher body, Runnable onSent) implements HttpRequest.BodyPublisher {
    @Override
    public long contentLength() {
      return body.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      body.subscribe(new Flow.Subscriber<ByteBuffer>() {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
          subscriber.onSubscribe(subscription);
        }

        @Override
        public void onNext(ByteBuffer item) {
          subscriber.onNext(item);
        }

        @Override
        public void onError(Throwable error) {
          subscriber.onError(error);
        }

        @Override
        public void onComplete() {
          subscriber.onComplete();
          onSent.run();
        }
      });
    }
  }

  /** Collects the body into a byte array, failing once it grows past the limit. */
  private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final int limit;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
    private Flow.Subscription subscription;

    LimitedBody(int limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer b : items) {
        if (buffer.size() + b.remaining() > limit) {
          subscription.cancel();
          result.completeExceptionally(new ResponseTooLarge(limit));
          return;
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        buffer.write(bytes, 0, bytes.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(buffer.toByteArray());
    }
  }
}
