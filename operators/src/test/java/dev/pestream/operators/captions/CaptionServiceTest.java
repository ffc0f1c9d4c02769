package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.plm.CaptionOutcome;
import dev.pestream.connectors.plm.CaptionService;
import dev.pestream.connectors.plm.ChatCompletions;
import dev.pestream.connectors.plm.CircuitBreaker;
import dev.pestream.connectors.plm.PlmCallPolicy;
import dev.pestream.connectors.plm.PlmClient;
import dev.pestream.connectors.plm.RateLimiter;
import dev.pestream.connectors.plm.SecretSource;
import dev.pestream.connectors.plm.TlsSettings;
import dev.pestream.operators.testing.FakePlmServer.Fault;
import dev.pestream.operators.testing.FakePlmServer.Received;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.operators.testing.TestJpegs;
import dev.pestream.operators.testing.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared PLM caller against a real local HTTP server: retries, backoff, breaker, limits, auth, TLS. */
class CaptionServiceTest {
  private static final String MODEL = "facebook/Perception-LM-1B";
  private static final String KEY = "sk-test-0123456789";
  private static final List<byte[]> FRAMES = List.of(TestJpegs.solid(448, 230, 30, 30), TestJpegs.solid(448, 30, 30, 230));

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private FakePlmServer server() throws Exception {
    FakePlmServer server = FakePlmServer.start(new FakePlmServer.Expectations(MODEL, KEY, 448, 32));
    closeables.add(server);
    return server;
  }

  private CaptionSettings.Builder settings(String endpoint) throws Exception {
    Path keyFile = dir.resolve("key");
    Files.writeString(keyFile, KEY + "\n", StandardCharsets.UTF_8);
    return CaptionSettings.builder().server(s -> s.endpoint(endpoint).model(MODEL).apiKey(SecretSource.file(keyFile)))
        .calls(c -> c.maxConcurrentRequests(4).requestsPerSecond(100).initialBackoff(Duration.ofMillis(20))
            .maxBackoff(Duration.ofMillis(100)).requestTimeout(Duration.ofSeconds(5)).captionTimeout(Duration.ofSeconds(30)));
  }

  /** A service with a limiter and breaker of its own (the JVM-wide ones are tested separately). */
  private CaptionService service(CaptionSettings settings) {
    PlmCallPolicy calls = settings.calls();
    CaptionService service = new CaptionService(settings.server(), calls, PlmClient.create(settings.server(), calls),
        RateLimiter.perSecond(calls.requestsPerSecond()),
        new CircuitBreaker(calls.breakerFailureThreshold(), calls.breakerOpenDuration(), System::nanoTime),
        System::nanoTime, Math::random);
    closeables.add(service);
    return service;
  }

  private static CaptionOutcome caption(CaptionService service, CaptionSettings s, CaptionService.Listener listener)
      throws Exception {
    return submit(service, s, listener).get(60, TimeUnit.SECONDS);
  }

  private static CompletableFuture<CaptionOutcome> submit(CaptionService service, CaptionSettings s,
      CaptionService.Listener listener) {
    return service.submit(() -> ChatCompletions.requestBody(s.server().model(), s.prompts().prompt(), FRAMES,
        s.prompts().maxTokens(), s.prompts().temperature()), s.calls().maxAttempts(), s.calls().captionTimeout(), listener)
        .result();
  }

  /** Counts attempts and retries as the metrics do. */
  private static final class Counting implements CaptionService.Listener {
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger retries = new AtomicInteger();
    final List<String> results = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void attempt(long nanos, String result) {
      attempts.incrementAndGet();
      results.add(result);
    }

    @Override
    public void retry() {
      retries.incrementAndGet();
    }
  }

  @Test
  void answersWithACaptionDerivedFromTheFramesAndSendsTheKeyAsBearer() throws Exception {
    FakePlmServer server = server();
    CaptionSettings s = settings(server.baseUrl()).build();
    CaptionOutcome outcome = caption(service(s), s, CaptionService.Listener.NONE);
    assertThat(outcome.ok()).as(String.valueOf(outcome)).isTrue();
    assertThat(outcome.text()).startsWith("2 frames of 448x448").endsWith("asked: " + CaptionPrompts.DEFAULT_PROMPT);
    List<int[]> colours = FakePlmServer.coloursOf(outcome.text());
    assertThat(colours).hasSize(2);
    assertThat(colours.get(0)[0]).isGreaterThan(200);
    assertThat(colours.get(1)[2]).isGreaterThan(200);
    assertThat(outcome.attempts()).isEqualTo(1);
    assertThat(outcome.promptTokens()).isEqualTo(2 * 256 + 6);
    assertThat(outcome.completionTokens()).isPositive();
    assertThat(server.violations()).isEmpty();
  }

  @Test
  void retriesOn429And500AndStallsUntilItSucceeds() throws Exception {
    FakePlmServer server = server().script(Fault.TOO_MANY_REQUESTS, Fault.SERVER_ERROR, Fault.STALL)
        .stallFor(Duration.ofSeconds(3));
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.requestTimeout(Duration.ofMillis(400))).build();
    Counting listener = new Counting();
    CaptionOutcome outcome = caption(service(s), s, listener);
    assertThat(outcome.ok()).as(String.valueOf(outcome)).isTrue();
    assertThat(outcome.attempts()).isEqualTo(4);
    assertThat(listener.retries).hasValue(3);
    assertThat(listener.results).containsExactly("HTTP_429", "HTTP_500", "TIMEOUT", "OK");
    assertThat(server.received()).extracting(Received::fault)
        .containsExactly(Fault.TOO_MANY_REQUESTS, Fault.SERVER_ERROR, Fault.STALL, Fault.NONE);
  }

  @Test
  void honoursRetryAfter() throws Exception {
    FakePlmServer server = server().retryAfterSeconds(1).script(Fault.TOO_MANY_REQUESTS);
    CaptionSettings s = settings(server.baseUrl()).build();
    assertThat(caption(service(s), s, CaptionService.Listener.NONE).ok()).isTrue();
    List<Received> received = server.received();
    assertThat(received).hasSize(2);
    assertThat(received.get(1).arrivalNanos() - received.get(0).arrivalNanos())
        .isGreaterThanOrEqualTo(Duration.ofSeconds(1).toNanos());
  }

  @Test
  void aRequestTheServerRejectsIsNotRetried() throws Exception {
    FakePlmServer server = server();
    CaptionSettings s = settings(server.baseUrl()).server(c -> c.model("facebook/Perception-LM-8B")).build();
    CaptionOutcome outcome = caption(service(s), s, CaptionService.Listener.NONE);
    assertThat(outcome.ok()).isFalse();
    assertThat(outcome.errorClass()).isEqualTo("HTTP_404");
    assertThat(outcome.error()).contains("model facebook/Perception-LM-8B is not served here");
    assertThat(outcome.attempts()).isEqualTo(1);
    assertThat(server.requestCount()).isEqualTo(1);
  }

  @Test
  void aWrongKeyIsAnErrorThatNeverShowsTheKey() throws Exception {
    FakePlmServer server = server();
    Path wrong = dir.resolve("wrong-key");
    Files.writeString(wrong, "sk-wrong-secret");
    CaptionSettings s = settings(server.baseUrl()).server(c -> c.apiKey(SecretSource.file(wrong))).build();
    CaptionOutcome outcome = caption(service(s), s, CaptionService.Listener.NONE);
    assertThat(outcome.errorClass()).isEqualTo("HTTP_401");
    assertThat(outcome.toString()).doesNotContain("sk-wrong-secret").doesNotContain(KEY);
  }

  @Test
  void givesUpAfterMaxAttempts() throws Exception {
    FakePlmServer server = server().pattern(n -> Fault.SERVER_ERROR);
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.maxAttempts(3).breakerFailureThreshold(100)).build();
    CaptionOutcome outcome = caption(service(s), s, CaptionService.Listener.NONE);
    assertThat(outcome.errorClass()).isEqualTo(CaptionOutcome.RETRIES_EXHAUSTED);
    assertThat(outcome.error()).contains("3 attempt(s) failed").contains("HTTP 500");
    assertThat(outcome.attempts()).isEqualTo(3);
    assertThat(server.requestCount()).isEqualTo(3);
  }

  @Test
  void theBreakerStopsCallsToAFailingServerThenProbesAndRecovers() throws Exception {
    AtomicInteger failing = new AtomicInteger(1);
    FakePlmServer server = server().pattern(n -> failing.get() == 1 ? Fault.SERVER_ERROR : Fault.NONE);
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.maxAttempts(50).breakerFailureThreshold(3)
        .breakerOpenDuration(Duration.ofSeconds(5))).build();
    CaptionService service = service(s);
    List<CompletableFuture<CaptionOutcome>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(submit(service, s, CaptionService.Listener.NONE));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (service.breakerState() != CircuitBreaker.State.OPEN && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(service.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
    int sentWhenOpened = requestCountOnceSteady(server); // attempts already on the wire when it opened
    Thread.sleep(1000); // well inside the open period: nothing is sent
    assertThat(server.requestCount()).isEqualTo(sentWhenOpened);
    failing.set(0);
    for (CompletableFuture<CaptionOutcome> call : calls) {
      CaptionOutcome outcome = call.get(30, TimeUnit.SECONDS);
      assertThat(outcome.ok()).as(String.valueOf(outcome)).isTrue();
    }
    assertThat(service.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(service.breaker().timesOpened()).isEqualTo(1);
    assertThat(server.requestCount()).isEqualTo(sentWhenOpened + 6);
  }

  private static int requestCountOnceSteady(FakePlmServer server) throws InterruptedException {
    int seen;
    do {
      seen = server.requestCount();
      Thread.sleep(300);
    } while (server.requestCount() != seen);
    return seen;
  }

  @Test
  void aDeadServerEndsInAnErrorOnceTheDeadlinePasses() throws Exception {
    FakePlmServer server = server().pattern(n -> Fault.SERVER_ERROR);
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.maxAttempts(100).breakerFailureThreshold(2)
        .breakerOpenDuration(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(1))
        .captionTimeout(Duration.ofSeconds(2))).build();
    CaptionOutcome outcome = caption(service(s), s, CaptionService.Listener.NONE);
    assertThat(outcome.ok()).isFalse();
    assertThat(outcome.errorClass()).isEqualTo(CaptionOutcome.CIRCUIT_OPEN);
    assertThat(outcome.error()).contains("last error: HTTP 500");
    assertThat(outcome.latencyMs()).isLessThan(2500);
    assertThat(server.requestCount()).isEqualTo(2);
  }

  @Test
  void aServiceRecreatedAfterARestartKeepsTheBreakerAndTheRateLimit() throws Exception {
    FakePlmServer server = server().pattern(n -> Fault.SERVER_ERROR);
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.maxAttempts(2).breakerFailureThreshold(2)
        .breakerOpenDuration(Duration.ofSeconds(30)).captionTimeout(Duration.ofSeconds(10))).build();
    CaptionService first = CaptionService.acquire(s.server(), s.calls());
    try {
      assertThat(submit(first, s, CaptionService.Listener.NONE).get(30, TimeUnit.SECONDS).ok()).isFalse();
      assertThat(first.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
    } finally {
      first.release();
    }
    CaptionService second = CaptionService.acquire(s.server(), s.calls());
    try {
      assertThat(second).isNotSameAs(first);
      assertThat(second.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
      CaptionOutcome outcome = submit(second, s, CaptionService.Listener.NONE).get(30, TimeUnit.SECONDS);
      assertThat(outcome.errorClass()).isEqualTo(CaptionOutcome.CIRCUIT_OPEN);
      assertThat(server.requestCount()).isEqualTo(2);
    } finally {
      second.release();
    }
  }

  @Test
  void capsConcurrentRequests() throws Exception {
    FakePlmServer server = server().answerTime(Duration.ofMillis(200));
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.maxConcurrentRequests(2)).build();
    CaptionService service = service(s);
    List<CompletableFuture<CaptionOutcome>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(submit(service, s, CaptionService.Listener.NONE));
    }
    for (CompletableFuture<CaptionOutcome> call : calls) {
      assertThat(call.get(30, TimeUnit.SECONDS).ok()).isTrue();
    }
    assertThat(server.maxConcurrentRequests()).isEqualTo(2);
  }

  @Test
  void keepsToTheRateLimitAsTheServerSeesIt() throws Exception {
    FakePlmServer server = server();
    CaptionSettings s = settings(server.baseUrl()).calls(c -> c.requestsPerSecond(4).maxConcurrentRequests(8)).build();
    CaptionService service = service(s);
    long started = System.nanoTime();
    List<CompletableFuture<CaptionOutcome>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(submit(service, s, CaptionService.Listener.NONE));
    }
    for (CompletableFuture<CaptionOutcome> call : calls) {
      assertThat(call.get(30, TimeUnit.SECONDS).ok()).isTrue();
    }
    assertThat(server.maxRequestsWithin(Duration.ofSeconds(1))).isEqualTo(4);
    assertThat(System.nanoTime() - started).isGreaterThan(Duration.ofSeconds(2).toNanos());
  }

  @Test
  void httpsWithAConfiguredTrustStoreAndNotWithoutIt() throws Exception {
    TestTls tls = TestTls.create(dir);
    FakePlmServer server = FakePlmServer.startHttps(new FakePlmServer.Expectations(MODEL, KEY, 448, 32), tls.serverContext());
    closeables.add(server);
    Path password = dir.resolve("trust-password");
    Files.writeString(password, tls.trustStorePassword());
    CaptionSettings trusting = settings(server.baseUrl())
        .server(c -> c.tls(TlsSettings.trustStore(tls.trustStore(), "PKCS12", SecretSource.file(password)))).build();
    CaptionOutcome ok = caption(service(trusting), trusting, CaptionService.Listener.NONE);
    assertThat(ok.ok()).as(String.valueOf(ok)).isTrue();

    CaptionSettings systemTrust = settings(server.baseUrl()).build();
    CaptionOutcome refused = caption(service(systemTrust), systemTrust, CaptionService.Listener.NONE);
    assertThat(refused.ok()).isFalse();
    assertThat(refused.errorClass()).isEqualTo("TLS");
    assertThat(refused.attempts()).isEqualTo(1);
    assertThat(server.okAnswers()).hasSize(1);
  }
}
