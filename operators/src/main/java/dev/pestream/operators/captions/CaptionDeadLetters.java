package dev.pestream.operators.captions;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Passes every caption on and, for each ERROR caption, writes a dead letter (stage
 * {@value #STAGE}) to {@link DeadLetters#TAG} saying which window failed and why. (Async I/O
 * functions cannot write side outputs, hence this step.)
 */
public class CaptionDeadLetters extends ProcessFunction<Caption, Caption> implements ResultTypeQueryable<Caption> {
  private static final long serialVersionUID = 1L;

  public static final String STAGE = "caption";

  @Override
  public void processElement(Caption caption, Context ctx, Collector<Caption> out) {
    out.collect(caption);
    if (caption.getStatus() == CaptionStatus.ERROR) {
      String errorClass = caption.getErrorClass() == null ? "CAPTION_FAILED" : caption.getErrorClass();
      ctx.output(DeadLetters.TAG, DeadLetters.builder(STAGE, errorClass,
              "no caption for window [" + caption.getWindowStartUs() + ", " + caption.getWindowEndUs() + ") us of stream "
                  + caption.getStreamId() + " after " + caption.getAttempts() + " attempt(s): " + caption.getError())
          .setStreamId(caption.getStreamId())
          .build());
    }
  }

  @Override
  public TypeInformation<Caption> getProducedType() {
    return RecordTypeInfo.forRecord(Caption.class);
  }
}
