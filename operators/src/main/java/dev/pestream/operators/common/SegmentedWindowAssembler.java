package dev.pestream.operators.common;

import java.io.IOException;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.InstantiationUtil;

/**
 * Base of the keyed operators that cut each stream into windows on its own clock (embedding and
 * caption windows). It owns the segment lifecycle they share: a stream's first chunk starts a
 * segment and arms the end-of-input timer; a gap, or a chunk after a closed segment, flushes the
 * open windows (truncated before the hole) and starts a new segment without reopening a window
 * index already emitted; the end of a bounded input or an idle stream ({@link StreamEnd}) flushes
 * and closes the segment. Subclasses keep the data and build the windows: each chunk is handled
 * between {@link #beginChunk} and {@link #endChunk}.
 */
public abstract class SegmentedWindowAssembler<IN, OUT, P extends SegmentProgress>
    extends KeyedProcessFunction<String, IN, OUT> {
  private static final long serialVersionUID = 1L;

  private final StreamEnd streamEnd;
  private final String progressStateName;
  private final Class<P> progressType;

  private transient ValueState<P> progress;

  /**
   * @param idleTimeout flush the open windows of a stream that sent nothing for this long
   *     (processing time); {@link Duration#ZERO} disables it
   */
  protected SegmentedWindowAssembler(Duration idleTimeout, String progressStateName, Class<P> progressType) {
    this.streamEnd = new StreamEnd(idleTimeout);
    this.progressStateName = progressStateName;
    this.progressType = progressType;
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    progress = getRuntimeContext().getState(
        new ValueStateDescriptor<>(progressStateName, TypeInformation.of(progressType)));
  }

  /** The first window that a segment starting at {@code segmentStartUs} can fill. */
  protected abstract long firstWindowOf(long segmentStartUs);

  /** Emits every window that started before {@code p.coveredUntilUs}, truncated there, and forgets the data. */
  protected abstract void flush(String streamId, P p, Collector<OUT> out) throws Exception;

  /**
   * The progress of the current stream as a chunk starting at {@code chunkStartUs} arrives; starts
   * a new segment on the first chunk, and after a gap or a closed segment (flushing that first).
   */
  protected final P beginChunk(boolean gapBefore, long chunkStartUs, Context ctx, Collector<OUT> out) throws Exception {
    P p = progress.value();
    if (p == null) {
      p = InstantiationUtil.instantiate(progressType);
      startSegment(p, chunkStartUs);
      streamEnd.onFirstChunk(ctx.timerService());
    } else if (gapBefore || p.segmentClosed) {
      flush(ctx.getCurrentKey(), p, out);
      startSegment(p, chunkStartUs);
    }
    return p;
  }

  /** Stores the progress after a chunk and re-arms the idle timer. */
  protected final void endChunk(P p, Context ctx) throws IOException {
    p.lastArrivalMs = streamEnd.onChunk(ctx.timerService());
    progress.update(p);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<OUT> out) throws Exception {
    P p = progress.value();
    if (p == null || p.segmentClosed) {
      return;
    }
    if (streamEnd.ends(timestamp, p.lastArrivalMs)) {
      flush(ctx.getCurrentKey(), p, out);
      p.segmentClosed = true;
      progress.update(p);
    }
  }

  private void startSegment(P p, long startUs) {
    p.segmentStartUs = Math.max(0, startUs);
    p.coveredUntilUs = p.segmentStartUs;
    // A window index is emitted at most once: those flushed before a gap are not reopened.
    p.nextWindow = Math.max(p.nextWindow, firstWindowOf(p.segmentStartUs));
    p.segmentClosed = false;
  }
}
