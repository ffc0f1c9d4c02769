package dev.pestream.operators.encode;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Configuration of the frame-level encoders (Flink options). */
public final class FrameEncoderOptions {
  public static final ConfigOption<Integer> MAX_IN_FLIGHT =
      ConfigOptions.key("encode.max-in-flight")
          .intType()
          .defaultValue(FrameEncoderStage.DEFAULT_MAX_IN_FLIGHT)
          .withDescription(
              "Chunks each frame-encoder subtask keeps in the shared batched sessions at once: while they are"
                  + " encoded the subtask decodes the next ones, and the batcher fills its batches from several"
                  + " chunks and streams. 0 = not pipelined (decoding and encoding take turns). Raise it on a GPU,"
                  + " where one chunk's frames do not fill a batch.");

  private FrameEncoderOptions() {}
}
