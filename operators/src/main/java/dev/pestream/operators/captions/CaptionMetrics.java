package dev.pestream.operators.captions;

/** Metric names of the caption stage (registered per subtask under the operator's metric group). */
public final class CaptionMetrics {
  private CaptionMetrics() {}

  /** Histogram: milliseconds one HTTP attempt to the PLM server took (successful or not). */
  public static final String REQUEST_LATENCY_MS = "plmRequestLatencyMs";
  /** Counter: HTTP attempts sent. */
  public static final String REQUESTS = "plmRequests";
  /** Counter: retries scheduled (after 429, 5xx, timeouts, connection failures). */
  public static final String RETRIES = "plmRetries";
  /** Counter: prompt tokens the server reported. */
  public static final String PROMPT_TOKENS = "plmPromptTokens";
  /** Counter: completion tokens the server reported. */
  public static final String COMPLETION_TOKENS = "plmCompletionTokens";
  /** Gauge: the shared circuit breaker's state: 0 closed, 1 half-open, 2 open. */
  public static final String BREAKER_STATE = "plmBreakerState";
  /** Counter: windows captioned. */
  public static final String CAPTIONS_OK = "captionsOk";
  /** Counter: windows that got an ERROR caption. */
  public static final String CAPTIONS_FAILED = "captionsFailed";
}
