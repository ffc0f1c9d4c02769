package dev.pestream.operators.captions;

import dev.pestream.operators.alerts.StreamSelector;
import dev.pestream.operators.decode.CaptionFramePolicy;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything the caption stage needs: the PLM server (endpoint, model, API key, TLS), what is
 * asked (prompt, per-stream prompts, prompt rules, max tokens, temperature), how frames are chosen (caption
 * window, frame interval, max frames, image size, JPEG quality) and how the server is treated
 * (concurrency, requests per second, timeouts, retries, circuit breaker). Built and validated by
 * {@link Builder}; immutable and serializable. Secrets are held as {@link SecretSource}s (read on
 * the task managers), so {@link #toString()} is safe to log.
 */
public final class CaptionSettings implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String DEFAULT_PROMPT = "What is happening in the video?";
  /** PLM's image size (its vision tower reads 448x448 tiles). */
  public static final int PLM_IMAGE_SIZE = 448;
  /** PLM takes at most 32 video frames. */
  public static final int PLM_MAX_FRAMES = 32;
  public static final int MAX_FRAMES_LIMIT = 256;

  private final URI endpoint;
  private final String model;
  private final String prompt;
  private final TreeMap<String, String> streamPrompts;
  private final List<PromptRule> promptRules;
  private final SecretSource apiKey;
  private final TlsSettings tls;
  private final int maxTokens;
  private final double temperature;

  private final Duration window;
  private final Duration frameInterval;
  private final int maxFrames;
  private final int imageSize;
  private final float jpegQuality;
  private final Duration idleTimeout;

  private final int maxConcurrentRequests;
  private final int requestsPerSecond;
  private final Duration requestTimeout;
  private final Duration captionTimeout;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final int breakerFailureThreshold;
  private final Duration breakerOpenDuration;
  private final int asyncCapacity;

  private CaptionSettings(Builder b) {
    this.endpoint = b.endpoint;
    this.model = b.model;
    this.prompt = b.prompt;
    this.streamPrompts = new TreeMap<>(b.streamPrompts);
    this.promptRules = List.copyOf(b.promptRules);
    this.apiKey = b.apiKey;
    this.tls = b.tls;
    this.maxTokens = b.maxTokens;
    this.temperature = b.temperature;
    this.window = b.window;
    this.frameInterval = b.frameInterval;
    this.maxFrames = b.maxFrames;
    this.imageSize = b.imageSize;
    this.jpegQuality = b.jpegQuality;
    this.idleTimeout = b.idleTimeout;
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.requestsPerSecond = b.requestsPerSecond;
    this.requestTimeout = b.requestTimeout;
    this.captionTimeout = b.captionTimeout;
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.breakerFailureThreshold = b.breakerFailureThreshold;
    this.breakerOpenDuration = b.breakerOpenDuration;
    this.asyncCapacity = b.asyncCapacity;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The base URL as configured. */
  public URI endpoint() {
    return endpoint;
  }

  /**
   * The chat-completions URL: the endpoint itself when it already ends in
   * {@code /chat/completions}, {@code <endpoint>/chat/completions} when it ends in {@code /v1}
   * (an OpenAI-style base URL), else {@code <endpoint>/v1/chat/completions}.
   */
  public URI chatCompletionsUrl() {
    String s = endpoint.toString().replaceAll("/+$", "");
    if (s.endsWith("/chat/completions")) {
      return URI.create(s);
    }
    if (s.endsWith("/v1")) {
      return URI.create(s + "/chat/completions");
    }
    return URI.create(s + "/v1/chat/completions");
  }

  public String model() {
    return model;
  }

  public String prompt() {
    return prompt;
  }

  public Map<String, String> streamPrompts() {
    return java.util.Collections.unmodifiableMap(streamPrompts);
  }

  public List<PromptRule> promptRules() {
    return promptRules;
  }

  /** The prompt for a stream: its own prompt, else that of the first prompt rule matching it, else the default. */
  public String promptFor(String streamId) {
    String own = streamPrompts.get(streamId);
    if (own != null) {
      return own;
    }
    for (PromptRule rule : promptRules) {
      if (StreamSelector.matches(rule.streamSelector(), streamId)) {
        return rule.prompt();
      }
    }
    return prompt;
  }

  public SecretSource apiKey() {
    return apiKey;
  }

  public TlsSettings tls() {
    return tls;
  }

  public int maxTokens() {
    return maxTokens;
  }

  public double temperature() {
    return temperature;
  }

  public Duration window() {
    return window;
  }

  public long windowUs() {
    return window.toNanos() / 1000;
  }

  public Duration frameInterval() {
    return frameInterval;
  }

  public long frameIntervalUs() {
    return frameInterval.toNanos() / 1000;
  }

  public int maxFrames() {
    return maxFrames;
  }

  public int imageSize() {
    return imageSize;
  }

  public float jpegQuality() {
    return jpegQuality;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  public int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  public int requestsPerSecond() {
    return requestsPerSecond;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration captionTimeout() {
    return captionTimeout;
  }

  /** How the decode stage makes this stage's frames (pass it to {@code DecodeStage}). */
  public CaptionFramePolicy framePolicy() {
    return new CaptionFramePolicy(frameIntervalUs(), imageSize, jpegQuality);
  }

  /** Flink's Async I/O timeout: a backstop behind the caption deadline the stage enforces itself. */
  public Duration asyncTimeout() {
    return captionTimeout.plus(requestTimeout).plusSeconds(5);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration initialBackoff() {
    return initialBackoff;
  }

  public Duration maxBackoff() {
    return maxBackoff;
  }

  public int breakerFailureThreshold() {
    return breakerFailureThreshold;
  }

  public Duration breakerOpenDuration() {
    return breakerOpenDuration;
  }

  public int asyncCapacity() {
    return asyncCapacity;
  }

  /**
   * What identifies one shared connection to the server within a JVM: callers with equal keys
   * share the HTTP client, the concurrency cap, the rate limit and the circuit breaker.
   */
  public ServerKey serverKey() {
    return new ServerKey(chatCompletionsUrl(), apiKey, tls, maxConcurrentRequests, requestsPerSecond,
        requestTimeout, maxAttempts, initialBackoff, maxBackoff, breakerFailureThreshold, breakerOpenDuration);
  }

  /** See {@link #serverKey()}. */
  public record ServerKey(URI url, SecretSource apiKey, TlsSettings tls, int maxConcurrentRequests,
      int requestsPerSecond, Duration requestTimeout, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
      int breakerFailureThreshold, Duration breakerOpenDuration) implements Serializable {}

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CaptionSettings s)) {
      return false;
    }
    return toString().equals(s.toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  /** Every setting; secrets appear only as their source (env:NAME, file:/path). */
  @Override
  public String toString() {
    return "CaptionSettings{endpoint=" + endpoint + ", model=" + model + ", prompt='" + prompt + "'"
        + ", streamPrompts=" + streamPrompts + ", promptRules=" + promptRules + ", apiKey=" + apiKey + ", tls=" + tls
        + ", maxTokens=" + maxTokens + ", temperature=" + temperature
        + ", window=" + window + ", frameInterval=" + frameInterval + ", maxFrames=" + maxFrames
        + ", imageSize=" + imageSize + ", jpegQuality=" + jpegQuality + ", idleTimeout=" + idleTimeout
        + ", maxConcurrentRequests=" + maxConcurrentRequests + ", requestsPerSecond=" + requestsPerSecond
        + ", requestTimeout=" + requestTimeout + ", captionTimeout=" + captionTimeout
        + ", maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff
        + ", breakerFailureThreshold=" + breakerFailureThreshold + ", breakerOpenDuration=" + breakerOpenDuration
        + ", asyncCapacity=" + asyncCapacity + "}";
  }

  /** Builds {@link CaptionSettings}; {@link #build()} checks every value. */
  public static final class Builder {
    private URI endpoint;
    private String model;
    private String prompt = DEFAULT_PROMPT;
    private final TreeMap<String, String> streamPrompts = new TreeMap<>();
    private final List<PromptRule> promptRules = new ArrayList<>();
    private SecretSource apiKey = SecretSource.none();
    private TlsSettings tls = TlsSettings.systemDefault();
    private int maxTokens = 256;
    private double temperature = 0;

    private Duration window = Duration.ofSeconds(10);
    private Duration frameInterval = Duration.ofSeconds(1);
    private int maxFrames = PLM_MAX_FRAMES;
    private int imageSize = PLM_IMAGE_SIZE;
    private float jpegQuality = 0.9f;
    private Duration idleTimeout = Duration.ofSeconds(30);

    private int maxConcurrentRequests = 2;
    private int requestsPerSecond = 2;
    private Duration requestTimeout = Duration.ofSeconds(120);
    private Duration captionTimeout = Duration.ofMinutes(10);
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(500);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private int breakerFailureThreshold = 5;
    private Duration breakerOpenDuration = Duration.ofSeconds(30);
    private int asyncCapacity = 16;

    private Builder() {}

    private Builder(CaptionSettings s) {
      endpoint = s.endpoint;
      model = s.model;
      prompt = s.prompt;
      streamPrompts.putAll(s.streamPrompts);
      promptRules.addAll(s.promptRules);
      apiKey = s.apiKey;
      tls = s.tls;
      maxTokens = s.maxTokens;
      temperature = s.temperature;
      window = s.window;
      frameInterval = s.frameInterval;
      maxFrames = s.maxFrames;
      imageSize = s.imageSize;
      jpegQuality = s.jpegQuality;
      idleTimeout = s.idleTimeout;
      maxConcurrentRequests = s.maxConcurrentRequests;
      requestsPerSecond = s.requestsPerSecond;
      requestTimeout = s.requestTimeout;
      captionTimeout = s.captionTimeout;
      maxAttempts = s.maxAttempts;
      initialBackoff = s.initialBackoff;
      maxBackoff = s.maxBackoff;
      breakerFailureThreshold = s.breakerFailureThreshold;
      breakerOpenDuration = s.breakerOpenDuration;
      asyncCapacity = s.asyncCapacity;
    }

    /** Base URL of the OpenAI-compatible server, e.g. {@code http://plm-host:8000}. Required. */
    public Builder endpoint(String url) {
      this.endpoint = url == null ? null : URI.create(url.trim());
      return this;
    }

    /** Model name sent with every request, e.g. {@code facebook/Perception-LM-1B}. Required. */
    public Builder model(String model) {
      this.model = model;
      return this;
    }

    public Builder prompt(String prompt) {
      this.prompt = prompt;
      return this;
    }

    public Builder streamPrompt(String streamId, String prompt) {
      this.streamPrompts.put(streamId, prompt);
      return this;
    }

    public Builder streamPrompts(Map<String, String> prompts) {
      this.streamPrompts.clear();
      this.streamPrompts.putAll(prompts);
      return this;
    }

    /** Prompt rules in the order they are tried; replaces those set before. */
    public Builder promptRules(List<PromptRule> rules) {
      this.promptRules.clear();
      this.promptRules.addAll(rules);
      return this;
    }

    public Builder apiKey(SecretSource apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    public Builder tls(TlsSettings tls) {
      this.tls = tls;
      return this;
    }

    public Builder maxTokens(int maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    /** 0 = greedy decoding (PLM's reference setting). */
    public Builder temperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    /** Caption window length on the stream clock (tumbling windows). */
    public Builder window(Duration window) {
      this.window = window;
      return this;
    }

    /** One frame per interval (1 s = PLM's 1 fps). The window must be a whole number of intervals. */
    public Builder frameInterval(Duration interval) {
      this.frameInterval = interval;
      return this;
    }

    /** Frames per second sampled for captions: sets {@link #frameInterval} to {@code 1/fps}. */
    public Builder framesPerSecond(double fps) {
      if (!(fps > 0) || Double.isInfinite(fps)) {
        throw new IllegalArgumentException("frames per second must be positive, got " + fps);
      }
      this.frameInterval = Duration.ofNanos(Math.round(1e9 / fps / 1000) * 1000);
      return this;
    }

    /** At most this many frames per window, chosen uniformly when more were sampled (PLM: 32). */
    public Builder maxFrames(int maxFrames) {
      this.maxFrames = maxFrames;
      return this;
    }

    public Builder imageSize(int imageSize) {
      this.imageSize = imageSize;
      return this;
    }

    public Builder jpegQuality(float quality) {
      this.jpegQuality = quality;
      return this;
    }

    /** A stream that sent nothing for this long has its open window captioned; 0 disables. */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    /** Requests in flight to the server at once, per task manager JVM. */
    public Builder maxConcurrentRequests(int n) {
      this.maxConcurrentRequests = n;
      return this;
    }

    /** Requests started per second, per task manager JVM (at most this many in any second). */
    public Builder requestsPerSecond(int n) {
      this.requestsPerSecond = n;
      return this;
    }

    /** Time limit of one HTTP attempt (PLM on a busy GPU can take tens of seconds). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    /** Overall time for one window's caption, waits and retries included; then it is an ERROR caption. */
    public Builder captionTimeout(Duration timeout) {
      this.captionTimeout = timeout;
      return this;
    }

    /** HTTP attempts per window (1 = no retries). */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = attempts;
      return this;
    }

    public Builder initialBackoff(Duration backoff) {
      this.initialBackoff = backoff;
      return this;
    }

    public Builder maxBackoff(Duration backoff) {
      this.maxBackoff = backoff;
      return this;
    }

    /** Consecutive failed attempts (5xx, timeouts, connection errors) that open the breaker. */
    public Builder breakerFailureThreshold(int failures) {
      this.breakerFailureThreshold = failures;
      return this;
    }

    /** How long an open breaker sends nothing before one probe request. */
    public Builder breakerOpenDuration(Duration duration) {
      this.breakerOpenDuration = duration;
      return this;
    }

    /** Windows in flight per subtask (Flink Async I/O capacity). */
    public Builder asyncCapacity(int capacity) {
      this.asyncCapacity = capacity;
      return this;
    }

    public CaptionSettings build() {
      if (endpoint == null) {
        throw new IllegalArgumentException("captions need the PLM server endpoint URL");
      }
      String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
        throw new IllegalArgumentException("the PLM endpoint must be an http(s) URL with a host, got " + endpoint);
      }
      if (endpoint.getUserInfo() != null || endpoint.getQuery() != null || endpoint.getFragment() != null) {
        throw new IllegalArgumentException(
            "the PLM endpoint must not carry user info, a query or a fragment (give the API key as env: or file:)");
      }
      requireText(model, "model name");
      requireText(prompt, "prompt");
      streamPrompts.forEach((stream, p) -> {
        requireText(stream, "stream id of a stream prompt");
        requireText(p, "prompt of stream " + stream);
      });
      promptRules.forEach(rule -> Objects.requireNonNull(rule, "prompt rule"));
      Objects.requireNonNull(apiKey, "apiKey (use SecretSource.none())");
      Objects.requireNonNull(tls, "tls (use TlsSettings.systemDefault())");
      if (!tls.usesSystemDefault() && !scheme.equals("https")) {
        throw new IllegalArgumentException("a trust store is configured but the endpoint is not https: " + endpoint);
      }
      range(maxTokens, 1, 32768, "max tokens");
      if (!(temperature >= 0 && temperature <= 2)) {
        throw new IllegalArgumentException("temperature must be in [0, 2], got " + temperature);
      }
      positive(window, "caption window");
      positive(frameInterval, "frame interval");
      if (window.toNanos() % 1000 != 0 || frameInterval.toNanos() % 1000 != 0) {
        throw new IllegalArgumentException("caption window and frame interval must be whole microseconds");
      }
      if (window.toNanos() % frameInterval.toNanos() != 0) {
        throw new IllegalArgumentException("the caption window (" + window + ") must be a whole number of frame intervals ("
            + frameInterval + ")");
      }
      range(maxFrames, 1, MAX_FRAMES_LIMIT, "max frames");
      range(imageSize, 16, 1024, "image size");
      if (!(jpegQuality > 0 && jpegQuality <= 1)) {
        throw new IllegalArgumentException("JPEG quality must be in (0, 1], got " + jpegQuality);
      }
      notNegative(idleTimeout, "idle timeout");
      range(maxConcurrentRequests, 1, 1024, "max concurrent requests");
      range(requestsPerSecond, 1, 100_000, "requests per second");
      positive(requestTimeout, "request timeout");
      positive(captionTimeout, "caption timeout");
      if (captionTimeout.compareTo(requestTimeout) < 0) {
        throw new IllegalArgumentException("the caption timeout (" + captionTimeout
            + ") must be at least the request timeout (" + requestTimeout + ")");
      }
      range(maxAttempts, 1, 100, "max attempts");
      positive(initialBackoff, "initial backoff");
      if (maxBackoff == null || maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("max backoff must be at least the initial backoff");
      }
      range(breakerFailureThreshold, 1, 10_000, "breaker failure threshold");
      positive(breakerOpenDuration, "breaker open duration");
      range(asyncCapacity, 1, 10_000, "async capacity");
      return new CaptionSettings(this);
    }

    private static void requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be empty");
      }
    }

    private static void range(int value, int min, int max, String what) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(what + " must be in [" + min + ", " + max + "], got " + value);
      }
    }

    private static void positive(Duration d, String what) {
      if (d == null || d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
    }

    private static void notNegative(Duration d, String what) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative, got " + d);
      }
    }
  }
}
