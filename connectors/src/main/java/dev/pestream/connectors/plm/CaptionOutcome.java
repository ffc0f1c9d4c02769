package dev.pestream.connectors.plm;

/**
 * How one window's caption call ended: the text, or a stable error code and the reason.
 *
 * @param attempts HTTP attempts made
 * @param latencyMs from the submission of the call to its end (queueing, waits and retries included)
 */
public record CaptionOutcome(boolean ok, String text, String errorClass, String error, int attempts, long latencyMs,
    int promptTokens, int completionTokens) {

  /** Error codes besides {@link PlmCallException#code()}. */
  public static final String RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED";
  public static final String DEADLINE = "DEADLINE_EXCEEDED";
  public static final String CIRCUIT_OPEN = "CIRCUIT_OPEN";
  public static final String CANCELLED = "CANCELLED";
  public static final String INTERNAL = "INTERNAL";

  public static CaptionOutcome ok(ChatCompletions.Answer answer, int attempts, long latencyMs) {
    return new CaptionOutcome(true, answer.text(), null, null, attempts, latencyMs, answer.promptTokens(),
        answer.completionTokens());
  }

  public static CaptionOutcome error(String errorClass, String error, int attempts, long latencyMs) {
    return new CaptionOutcome(false, null, errorClass, error, attempts, latencyMs, 0, 0);
  }
}
