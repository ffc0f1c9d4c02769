package dev.pestream.operators.captions;

import dev.pestream.connectors.plm.SecretSource;
import dev.pestream.connectors.plm.TlsSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The caption stage's job settings ({@code captions.*}). Captions are on when
 * {@link #ENDPOINT} is set. Secrets are given as {@code env:VARIABLE} or {@code file:/path},
 * never as values.
 */
public final class CaptionOptions {
  private CaptionOptions() {}

  public static final ConfigOption<String> ENDPOINT = ConfigOptions.key("captions.endpoint").stringType().noDefaultValue()
      .withDescription("Base URL of the OpenAI-compatible PLM server (e.g. http://plm-host:8000, as `transformers serve` "
          + "listens); /v1/chat/completions is appended. Unset = no captions.");
  public static final ConfigOption<String> MODEL = ConfigOptions.key("captions.model").stringType()
      .defaultValue("facebook/Perception-LM-1B")
      .withDescription("Model name sent with each request (the server loads it by this name).");
  public static final ConfigOption<String> PROMPT = ConfigOptions.key("captions.prompt").stringType()
      .defaultValue(CaptionPrompts.DEFAULT_PROMPT)
      .withDescription("Prompt sent with every window's frames.");
  public static final ConfigOption<Map<String, String>> STREAM_PROMPTS = ConfigOptions.key("captions.stream-prompts")
      .mapType().defaultValue(Map.of())
      .withDescription("Per-stream prompts, stream-id:prompt pairs separated by commas (quote values with commas).");
  public static final ConfigOption<List<String>> PROMPT_RULES = ConfigOptions.key("captions.prompt-rules")
      .stringType().asList().defaultValues()
      .withDescription("Prompt rules tried in order, 'glob=prompt' separated by ';' (or a YAML list); the glob matches"
          + " stream ids like an alert rule's stream selector (* any characters, ? one). A stream in"
          + " captions.stream-prompts uses its own prompt; one no rule matches uses captions.prompt.");
  public static final ConfigOption<String> API_KEY = ConfigOptions.key("captions.api-key").stringType().noDefaultValue()
      .withDescription("Where the API key (sent as Authorization: Bearer) is read on the task managers: env:VARIABLE "
          + "or file:/path. Unset = no Authorization header.");
  public static final ConfigOption<String> TRUST_STORE = ConfigOptions.key("captions.tls.trust-store").stringType()
      .noDefaultValue()
      .withDescription("Trust store (PKCS12 or JKS) with the CA of an https endpoint. Unset = the JVM's default trust.");
  public static final ConfigOption<String> TRUST_STORE_TYPE = ConfigOptions.key("captions.tls.trust-store-type")
      .stringType().defaultValue(TlsSettings.DEFAULT_TYPE)
      .withDescription("Type of the trust store: PKCS12 or JKS.");
  public static final ConfigOption<String> TRUST_STORE_PASSWORD = ConfigOptions.key("captions.tls.trust-store-password")
      .stringType().noDefaultValue()
      .withDescription("Where the trust store password is read: env:VARIABLE or file:/path. Unset = no password.");
  public static final ConfigOption<Integer> MAX_TOKENS = ConfigOptions.key("captions.max-tokens").intType()
      .defaultValue(256).withDescription("Most tokens per caption (PLM's reference: 256).");
  public static final ConfigOption<Double> TEMPERATURE = ConfigOptions.key("captions.temperature").doubleType()
      .defaultValue(0.0).withDescription("Sampling temperature; 0 = greedy (PLM's reference).");
  public static final ConfigOption<Duration> WINDOW = ConfigOptions.key("captions.window").durationType()
      .defaultValue(Duration.ofSeconds(10))
      .withDescription("Caption window length on the stream clock (tumbling; separate from embedding windows).");
  public static final ConfigOption<Double> FPS = ConfigOptions.key("captions.fps").doubleType().defaultValue(1.0)
      .withDescription("Frames per second sampled for captions (PLM: 1). The window must hold a whole number of frame intervals.");
  public static final ConfigOption<Integer> MAX_FRAMES = ConfigOptions.key("captions.max-frames").intType()
      .defaultValue(CaptionFrameSettings.PLM_MAX_FRAMES)
      .withDescription("Most frames per window; more are thinned to this many, evenly spread (PLM: 32).");
  public static final ConfigOption<Integer> IMAGE_SIZE = ConfigOptions.key("captions.image-size").intType()
      .defaultValue(CaptionFrameSettings.PLM_IMAGE_SIZE)
      .withDescription("Frames are resized to this square size, bicubic (PLM: 448).");
  public static final ConfigOption<Float> JPEG_QUALITY = ConfigOptions.key("captions.jpeg-quality").floatType()
      .defaultValue(0.9f).withDescription("JPEG quality of the frames sent, in (0, 1].");
  public static final ConfigOption<Duration> IDLE_TIMEOUT = ConfigOptions.key("captions.idle-timeout").durationType()
      .defaultValue(Duration.ofSeconds(30))
      .withDescription("A stream that sends nothing for this long has its open caption window captioned; 0 disables.");
  public static final ConfigOption<Integer> MAX_CONCURRENT_REQUESTS = ConfigOptions.key("captions.max-concurrent-requests")
      .intType().defaultValue(2)
      .withDescription("Requests in flight to the PLM server at once, per task manager.");
  public static final ConfigOption<Integer> REQUESTS_PER_SECOND = ConfigOptions.key("captions.requests-per-second")
      .intType().defaultValue(2)
      .withDescription("Requests started per second, per task manager (never more within any second).");
  public static final ConfigOption<Duration> REQUEST_TIMEOUT = ConfigOptions.key("captions.request-timeout")
      .durationType().defaultValue(Duration.ofSeconds(120))
      .withDescription("Time limit of one HTTP attempt.");
  public static final ConfigOption<Duration> CAPTION_TIMEOUT = ConfigOptions.key("captions.caption-timeout")
      .durationType().defaultValue(Duration.ofMinutes(10))
      .withDescription("Time limit of one window's caption, waits and retries included; then an ERROR caption.");
  public static final ConfigOption<Integer> MAX_ATTEMPTS = ConfigOptions.key("captions.max-attempts").intType()
      .defaultValue(5).withDescription("HTTP attempts per window (retries on 408, 429, 5xx, timeouts, connection errors).");
  public static final ConfigOption<Duration> INITIAL_BACKOFF = ConfigOptions.key("captions.initial-backoff")
      .durationType().defaultValue(Duration.ofMillis(500))
      .withDescription("Backoff before the first retry (doubles per retry, full jitter, at least the server's Retry-After).");
  public static final ConfigOption<Duration> MAX_BACKOFF = ConfigOptions.key("captions.max-backoff").durationType()
      .defaultValue(Duration.ofSeconds(30)).withDescription("Longest backoff between retries.");
  public static final ConfigOption<Integer> BREAKER_FAILURES = ConfigOptions.key("captions.breaker.failure-threshold")
      .intType().defaultValue(5)
      .withDescription("Consecutive failed attempts (5xx, timeouts, connection errors) that open the circuit breaker.");
  public static final ConfigOption<Duration> BREAKER_OPEN = ConfigOptions.key("captions.breaker.open-duration")
      .durationType().defaultValue(Duration.ofSeconds(30))
      .withDescription("How long an open breaker sends nothing before one probe request.");
  public static final ConfigOption<Integer> ASYNC_CAPACITY = ConfigOptions.key("captions.async-capacity").intType()
      .defaultValue(16).withDescription("Windows in flight per subtask (Flink Async I/O capacity; checkpointed).");

  /** The caption settings, or empty when {@link #ENDPOINT} is not set (captions off). */
  public static Optional<CaptionSettings> settings(ReadableConfig config) {
    Optional<String> endpoint = config.getOptional(ENDPOINT).filter(s -> !s.isBlank());
    if (endpoint.isEmpty()) {
      return Optional.empty();
    }
    TlsSettings tls = new TlsSettings(config.getOptional(TRUST_STORE).orElse(null), config.get(TRUST_STORE_TYPE),
        SecretSource.parse(config.getOptional(TRUST_STORE_PASSWORD).orElse(null)));
    return Optional.of(CaptionSettings.builder()
        .server(s -> s.endpoint(endpoint.get())
            .model(config.get(MODEL))
            .apiKey(SecretSource.parse(config.getOptional(API_KEY).orElse(null)))
            .tls(tls))
        .prompts(p -> p.prompt(config.get(PROMPT))
            .streamPrompts(config.get(STREAM_PROMPTS))
            .promptRules(config.get(PROMPT_RULES).stream().map(PromptRule::parse).toList())
            .maxTokens(config.get(MAX_TOKENS))
            .temperature(config.get(TEMPERATURE)))
        .frames(f -> f.window(config.get(WINDOW))
            .framesPerSecond(config.get(FPS))
            .maxFrames(config.get(MAX_FRAMES))
            .imageSize(config.get(IMAGE_SIZE))
            .jpegQuality(config.get(JPEG_QUALITY))
            .idleTimeout(config.get(IDLE_TIMEOUT)))
        .calls(c -> c.maxConcurrentRequests(config.get(MAX_CONCURRENT_REQUESTS))
            .requestsPerSecond(config.get(REQUESTS_PER_SECOND))
            .requestTimeout(config.get(REQUEST_TIMEOUT))
            .captionTimeout(config.get(CAPTION_TIMEOUT))
            .maxAttempts(config.get(MAX_ATTEMPTS))
            .initialBackoff(config.get(INITIAL_BACKOFF))
            .maxBackoff(config.get(MAX_BACKOFF))
            .breakerFailureThreshold(config.get(BREAKER_FAILURES))
            .breakerOpenDuration(config.get(BREAKER_OPEN))
            .asyncCapacity(config.get(ASYNC_CAPACITY)))
        .build());
  }
}
