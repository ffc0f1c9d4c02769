package dev.pestream.operators.captions;

import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.schemas.Caption;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The caption stage in one call: decoded chunks (with caption frames: give the decode stage
 * {@link CaptionFrameSettings#framePolicy()}) → per-stream caption windows → PLM server (Async
 * I/O, unordered, bounded) → {@link Caption} records, with a dead letter (side output {@code
 * DeadLetters.TAG} of the returned operator) for every window that could not be captioned.
 * Every operator has a uid and a name. Write the result with an exactly-once sink keyed by
 * stream id; each (stream, window) appears exactly once in the committed output.
 */
public final class CaptionPipeline {
  public static final String UID_FRAMES = "caption-frames";
  public static final String UID_WINDOWS = "caption-windows";
  public static final String UID_PLM = "caption-plm";
  public static final String UID_ERRORS = "caption-errors";

  private CaptionPipeline() {}

  /**
   * Attaches the caption stage to the decode stage's output (in order per stream). The decode stage
   * must make caption frames: {@code new DecodeStage(..., settings.frames().framePolicy())}.
   */
  public static SingleOutputStreamOperator<Caption> attach(DataStream<DecodedChunk> decoded, CaptionSettings settings) {
    return attachChunks(
        decoded.map(new CaptionChunks()).uid(UID_FRAMES).name("caption frames"), settings);
  }

  /** Attaches the caption stage to a stream of {@link CaptionChunk}s (in order per stream). */
  public static SingleOutputStreamOperator<Caption> attachChunks(DataStream<CaptionChunk> chunks,
      CaptionSettings settings) {
    SingleOutputStreamOperator<CaptionRequest> requests = chunks
        .keyBy(c -> c.streamId, Types.STRING)
        .process(new CaptionWindowAssembler(settings), TypeInformation.of(CaptionRequest.class))
        .uid(UID_WINDOWS).name("caption windows");
    return AsyncDataStream.unorderedWait(requests, new CaptionAsyncFunction(settings),
            settings.asyncTimeout().toMillis(), TimeUnit.MILLISECONDS, settings.calls().asyncCapacity())
        .uid(UID_PLM).name("PLM captions")
        .process(new CaptionDeadLetters())
        .uid(UID_ERRORS).name("caption errors");
  }
}
