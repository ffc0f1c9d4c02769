package dev.pestream.connectors.plm;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caller side of one PLM server, shared by every caption subtask in a JVM (a task manager):
 * the HTTP client, a cap on concurrent requests ({@code maxConcurrentRequests} permits and workers),
 * the requests-per-second limit ({@link RateLimiter}), retries with {@link Backoff} and the
 * {@link CircuitBreaker}. Because they are shared, N subtasks together respect the limits.
 *
 * <p>A call goes through: wait in the queue for a worker → ask the breaker (open: wait for the
 * probe, without using an attempt) → take a rate-limit slot → one HTTP attempt. A retryable
 * failure (408, 429, 5xx, timeout, connection) is retried after a jittered backoff (at least the
 * server's Retry-After) until the attempts or the caption deadline run out; anything else ends
 * the call at once. A call always ends with a {@link CaptionOutcome}, never an exception.
 */
public final class CaptionService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CaptionService.class);
  private static final Map<ServerKey, CaptionService> SHARED = new HashMap<>();
  /**
   * The rate limiter and breaker of each server outlive the services that use them (a few bytes
   * per server): a service recreated after a task restart must neither forget the requests just
   * sent (and exceed the rate) nor close a breaker that a dead server opened.
   */
  private static final Map<ServerKey, RateLimiter> LIMITERS = new HashMap<>();
  private static final Map<ServerKey, CircuitBreaker> BREAKERS = new HashMap<>();
  /** Likewise the concurrency permits: attempts of a closing service still count until they end. */
  private static final Map<ServerKey, Semaphore> PERMITS = new HashMap<>();
  private static final long POLL_MILLIS = 100;
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Told about every attempt and retry of a call (metrics); called on service threads. */
  public interface Listener {
    /** One HTTP attempt ended: its duration and {@code "OK"} or the failure code. */
    void attempt(long nanos, String result);

    /** A retry was scheduled. */
    void retry();

    Listener NONE = new Listener() {
      @Override
      public void attempt(long nanos, String result) {}

      @Override
      public void retry() {}
    };
  }

  private final ServerKey key;
  private final PlmClient client;
  private final RateLimiter limiter;
  private final Semaphore permits;
  private final CircuitBreaker breaker;
  private final Backoff backoff;
  private final LongSupplier clock;
  private final DoubleSupplier random;
  private final LinkedBlockingQueue<Call> queue = new LinkedBlockingQueue<>();
  private final List<Thread> workers = new ArrayList<>();
  private final ScheduledExecutorService timer;
  private volatile boolean closed;
  private int references;

  /** A service of its own (not shared); tests pass their limiter, breaker, clock and randomness. */
  public CaptionService(PlmServer server, PlmCallPolicy policy, PlmClient client, RateLimiter limiter,
      CircuitBreaker breaker, LongSupplier nanoClock, DoubleSupplier random) {
    this(ServerKey.of(server, policy), client, limiter, new Semaphore(policy.maxConcurrentRequests(), true), breaker,
        nanoClock, random);
  }

  private CaptionService(ServerKey key, PlmClient client, RateLimiter limiter, Semaphore permits,
      CircuitBreaker breaker, LongSupplier nanoClock, DoubleSupplier random) {
    this.key = key;
    this.client = client;
    this.limiter = limiter;
    this.permits = permits;
    this.breaker = breaker;
    this.clock = nanoClock;
    this.random = random;
    this.backoff = new Backoff(key.initialBackoff(), key.maxBackoff());
    int id = THREADS.incrementAndGet();
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "plm-retry-timer-" + id));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    for (int i = 0; i < key.maxConcurrentRequests(); i++) {
      Thread worker = daemon(this::work, "plm-caller-" + id + "-" + i);
      workers.add(worker);
      worker.start();
    }
  }

  /**
   * A service with a client built from {@code server} and {@code policy} and the JVM's rate limiter
   * and breaker for that server (system clock).
   */
  public static CaptionService create(PlmServer server, PlmCallPolicy policy) {
    ServerKey key = ServerKey.of(server, policy);
    RateLimiter limiter;
    Semaphore permits;
    CircuitBreaker breaker;
    synchronized (SHARED) {
      limiter = LIMITERS.computeIfAbsent(key, k -> RateLimiter.perSecond(k.requestsPerSecond()));
      permits = PERMITS.computeIfAbsent(key, k -> new Semaphore(k.maxConcurrentRequests(), true));
      breaker = BREAKERS.computeIfAbsent(key,
          k -> new CircuitBreaker(k.breakerFailureThreshold(), k.breakerOpenDuration(), System::nanoTime));
    }
    return new CaptionService(key, PlmClient.create(server, policy), limiter, permits, breaker, System::nanoTime,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  /** The JVM-wide service for {@code server} called with {@code policy}; pair with {@link #release()}. */
  public static CaptionService acquire(PlmServer server, PlmCallPolicy policy) {
    ServerKey key = ServerKey.of(server, policy);
    synchronized (SHARED) {
      CaptionService service = SHARED.get(key);
      if (service == null) {
        service = create(server, policy);
        SHARED.put(key, service);
        LOG.info("Caption service for {} started: {} concurrent requests, {} requests/s, {} attempts", service.client.url(),
            policy.maxConcurrentRequests(), policy.requestsPerSecond(), policy.maxAttempts());
      }
      service.references++;
      return service;
    }
  }

  /** Gives back a service from {@link #acquire}; the last release stops it. */
  public void release() {
    synchronized (SHARED) {
      if (--references > 0) {
        return;
      }
      SHARED.remove(key, this);
    }
    close();
  }

  public CircuitBreaker.State breakerState() {
    return breaker.state();
  }

  public CircuitBreaker breaker() {
    return breaker;
  }

  /**
   * Queues one window's caption call.
   *
   * @param body builds the request body (called once, on a service thread, at the first attempt)
   * @param deadline the call ends with {@link CaptionOutcome#DEADLINE} if not done by then
   */
  public Call submit(Supplier<byte[]> body, int maxAttempts, Duration deadline, Listener listener) {
    Call call = new Call(body, maxAttempts, clock.getAsLong(), deadline, listener);
    if (closed) {
      call.finish(CaptionOutcome.error(CaptionOutcome.CANCELLED, "the caption service is closed", 0, 0));
    } else {
      queue.add(call);
    }
    return call;
  }

  private void work() {
    try {
      while (!closed) {
        Call call = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (call == null) {
          continue;
        }
        try {
          attempt(call);
        } catch (RuntimeException | Error e) {
          LOG.warn("Caption call failed unexpectedly", e);
          call.finish(call.error(CaptionOutcome.INTERNAL, e.toString()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * One attempt of {@code call}. Not interrupted by {@link #close()}: an attempt on the wire runs to
   * its end (at most the request timeout) and holds its concurrency permit until then, so that a
   * service replaced after a restart cannot push the server past the cap.
   */
  private void attempt(Call call) throws InterruptedException {
    if (call.result.isDone()) {
      return;
    }
    while (!permits.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
      if (closed || call.result.isDone()) {
        call.finish(call.error(CaptionOutcome.CANCELLED, "the caption service was stopped"));
        return;
      }
    }
    try {
      attemptHoldingPermit(call);
    } finally {
      permits.release();
    }
  }

  private void attemptHoldingPermit(Call call) throws InterruptedException {
    if (closed) {
      call.finish(call.error(CaptionOutcome.CANCELLED, "the caption service was stopped"));
      return;
    }
    long now = clock.getAsLong();
    if (now - call.deadlineNanos >= 0) {
      call.finish(call.error(CaptionOutcome.DEADLINE, "no caption within " + call.deadline.toMillis() + " ms" + call.lastError()));
      return;
    }
    long breakerWait = breaker.tryAcquire();
    if (breakerWait > 0) {
      long wait = breakerWait + (long) (random.getAsDouble() * backoff.initial().toNanos());
      if (now + wait - call.deadlineNanos >= 0) {
        call.finish(call.error(CaptionOutcome.CIRCUIT_OPEN,
            "the PLM server is failing (circuit breaker open) and did not recover before the caption deadline" + call.lastError()));
      } else {
        later(call, wait);
      }
      return;
    }
    boolean recorded = false;
    try {
      // Build the body (base64 of the frames) first: the rate-limit slot is taken right before sending.
      byte[] body = call.body();
      RateLimiter.Slot slot = limiter.acquire();
      if (call.result.isDone()) {
        slot.sent();
        return;
      }
      call.attempts++;
      long remaining = call.deadlineNanos - clock.getAsLong();
      Duration timeout = Duration.ofNanos(Math.max(1_000_000, Math.min(remaining, key.requestTimeout().toNanos())));
      long started = System.nanoTime();
      ChatCompletions.Answer answer = null;
      PlmCallException failure = null;
      try {
        answer = client.call(body, timeout, slot::sent);
      } catch (PlmCallException e) {
        failure = e;
      }
      long nanos = System.nanoTime() - started;
      // The breaker learns the result before anyone sees the outcome.
      breaker.record(failure == null ? CircuitBreaker.Result.SUCCESS : failure.breakerResult());
      recorded = true;
      if (failure == null) {
        call.listener.attempt(nanos, "OK");
        call.finish(CaptionOutcome.ok(answer, call.attempts, call.elapsedMs()));
      } else {
        call.listener.attempt(nanos, failure.code());
        failed(call, failure);
      }
    } finally {
      if (!recorded) {
        breaker.record(CircuitBreaker.Result.NEUTRAL);
      }
    }
  }

  private void failed(Call call, PlmCallException e) {
    call.lastFailure = e;
    if (!e.retryable()) {
      call.finish(call.error(e.code(), e.getMessage()));
      return;
    }
    if (call.attempts >= call.maxAttempts) {
      call.finish(call.error(CaptionOutcome.RETRIES_EXHAUSTED,
          call.attempts + " attempt(s) failed; last: " + e.getMessage()));
      return;
    }
    long delay = backoff.delay(call.attempts, e.retryAfter(), random).toNanos();
    if (clock.getAsLong() + delay - call.deadlineNanos >= 0) {
      call.finish(call.error(CaptionOutcome.DEADLINE, "the next retry (in " + delay / 1_000_000
          + " ms) would pass the caption deadline of " + call.deadline.toMillis() + " ms; last: " + e.getMessage()));
      return;
    }
    call.listener.retry();
    later(call, delay);
  }

  private void later(Call call, long delayNanos) {
    try {
      timer.schedule(() -> {
        if (closed) {
          call.finish(call.error(CaptionOutcome.CANCELLED, "the caption service was stopped"));
        } else {
          queue.add(call);
        }
      }, delayNanos, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      call.finish(call.error(CaptionOutcome.CANCELLED, "the caption service was stopped"));
    }
  }

  /**
   * Stops the service: calls still queued or waiting for a retry end as {@link
   * CaptionOutcome#CANCELLED}; attempts on the wire finish first (within the request timeout).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timer.shutdownNow();
    // Workers are not interrupted: each ends after its current attempt (see attempt()).
    List<Call> left = new ArrayList<>();
    queue.drainTo(left);
    for (Call call : left) {
      call.finish(call.error(CaptionOutcome.CANCELLED, "the caption service was stopped"));
    }
  }

  /**
   * What identifies one shared connection to the server within a JVM: callers with equal keys
   * share the HTTP client, the concurrency cap, the rate limit and the circuit breaker. The model,
   * the caption timeout and the async capacity are per caller and not part of it.
   */
  private record ServerKey(URI url, SecretSource apiKey, TlsSettings tls, int maxConcurrentRequests,
      int requestsPerSecond, Duration requestTimeout, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
      int breakerFailureThreshold, Duration breakerOpenDuration) {
    static ServerKey of(PlmServer server, PlmCallPolicy policy) {
      return new ServerKey(server.chatCompletionsUrl(), server.apiKey(), server.tls(), policy.maxConcurrentRequests(),
          policy.requestsPerSecond(), policy.requestTimeout(), policy.maxAttempts(), policy.initialBackoff(),
          policy.maxBackoff(), policy.breakerFailureThreshold(), policy.breakerOpenDuration());
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** One window's caption call. */
  public final class Call {
    private final Supplier<byte[]> bodySupplier;
    private final int maxAttempts;
    private final long submittedNanos;
    private final Duration deadline;
    private final long deadlineNanos;
    private final Listener listener;
    private final CompletableFuture<CaptionOutcome> result = new CompletableFuture<>();
    private byte[] body;
    private int attempts;
    private PlmCallException lastFailure;

    private Call(Supplier<byte[]> body, int maxAttempts, long now, Duration deadline, Listener listener) {
      this.bodySupplier = body;
      this.maxAttempts = maxAttempts;
      this.submittedNanos = now;
      this.deadline = deadline;
      this.deadlineNanos = now + deadline.toNanos();
      this.listener = listener;
    }

    /** Completes (on a service thread) with the outcome; never exceptionally. */
    public CompletableFuture<CaptionOutcome> result() {
      return result;
    }

    /** Gives up on the call: it will not be sent (again). */
    public void cancel(String why) {
      finish(error(CaptionOutcome.CANCELLED, why));
    }

    private byte[] body() {
      if (body == null) {
        body = bodySupplier.get();
      }
      return body;
    }

    private void finish(CaptionOutcome outcome) {
      if (result.complete(outcome)) {
        body = null;
      }
    }

    private CaptionOutcome error(String errorClass, String message) {
      return CaptionOutcome.error(errorClass, message, attempts, elapsedMs());
    }

    private long elapsedMs() {
      return (clock.getAsLong() - submittedNanos) / 1_000_000;
    }

    private String lastError() {
      return lastFailure == null ? "" : "; last error: " + lastFailure.getMessage();
    }
  }
}
