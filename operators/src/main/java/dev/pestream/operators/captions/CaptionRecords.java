package dev.pestream.operators.captions;

import dev.pestream.connectors.plm.CaptionOutcome;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;

/** Builds the {@link Caption} record of a window from its request and how the call ended. */
public final class CaptionRecords {
  private CaptionRecords() {}

  public static Caption of(CaptionRequest request, String model, String prompt, CaptionOutcome outcome) {
    return Caption.newBuilder()
        .setStreamId(request.streamId)
        .setWindowStartUs(request.windowStartUs)
        .setWindowEndUs(request.windowEndUs)
        .setTruncated(request.truncated)
        .setStatus(outcome.ok() ? CaptionStatus.OK : CaptionStatus.ERROR)
        .setText(outcome.ok() ? outcome.text() : null)
        .setError(outcome.ok() ? null : outcome.error())
        .setErrorClass(outcome.ok() ? null : outcome.errorClass())
        .setPrompt(prompt)
        .setModel(model)
        .setFrameCount(request.frames.length)
        .setAttempts(outcome.attempts())
        .setLatencyMs(outcome.latencyMs())
        .setPromptTokens(outcome.promptTokens())
        .setCompletionTokens(outcome.completionTokens())
        .build();
  }
}
