package dev.pestream.connectors.deadletter;

import dev.pestream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import dev.pestream.connectors.flink.RecordTypeInfo;
import org.apache.flink.util.OutputTag;

/**
 * Building dead letters. Every stage that rejects an input emits one to {@link #TAG} (a side
 * output) with the stage name and a human-readable reason, and carries on.
 */
public final class DeadLetters {
  /** Side output every operator writes its dead letters to. */
  public static final OutputTag<DeadLetter> TAG =
      new OutputTag<>("dead-letters", RecordTypeInfo.forRecord(DeadLetter.class));

  /** The offending bytes kept in a dead letter are capped at this size. */
  public static final int MAX_PAYLOAD_BYTES = 64 * 1024;

  private DeadLetters() {}

  /** A builder with the stage, error and time filled in; callers add origin and ids. */
  public static DeadLetter.Builder builder(String stage, String errorClass, String reason) {
    return DeadLetter.newBuilder()
        .setStage(stage)
        .setErrorClass(errorClass)
        .setReason(reason == null || reason.isBlank() ? errorClass : reason)
        .setPayloadSize(0)
        .setTimeMs(Instant.now());
  }

  /** A builder for a caught exception: its class and message become the error class and reason. */
  public static DeadLetter.Builder builder(String stage, Throwable error) {
    return builder(stage, error.getClass().getName(), describe(error));
  }

  /** Attaches the offending bytes, capped at {@link #MAX_PAYLOAD_BYTES}. */
  public static DeadLetter.Builder withPayload(DeadLetter.Builder builder, byte[] payload) {
    if (payload == null) {
      return builder.setPayload(null).setPayloadSize(0);
    }
    byte[] kept = payload.length <= MAX_PAYLOAD_BYTES ? payload : Arrays.copyOf(payload, MAX_PAYLOAD_BYTES);
    return builder.setPayload(ByteBuffer.wrap(kept)).setPayloadSize(payload.length);
  }

  /** The message of an exception and its causes, on one line. */
  public static String describe(Throwable error) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = error; t != null && sb.length() < 2000; t = t.getCause()) {
      if (sb.length() > 0) {
        sb.append(" <- ");
      }
      sb.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
      if (t.getCause() == t) {
        break;
      }
    }
    return sb.toString();
  }
}
