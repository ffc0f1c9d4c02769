package dev.pestream.operators.sequence;

import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.schemas.MediaChunk;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Puts each stream's chunks in sequence-number order (keyed by stream id), before decoding.
 *
 * <ul>
 *   <li>Reorder: a chunk that arrives early waits in keyed state until the chunks before it
 *       arrive, bounded by {@link SequencerOptions#MAX_BUFFERED_CHUNKS} chunks and {@link
 *       SequencerOptions#MAX_WAIT} of processing time (a timer).
 *   <li>Dedupe: a chunk whose sequence number was already emitted, skipped or buffered is dropped,
 *       so re-ingesting a stream is idempotent.
 *   <li>Gaps: when a bound gives up on missing chunks, or a chunk's start is off the previous
 *       chunk's end by more than {@link SequencerOptions#CLOCK_TOLERANCE}, or the source flagged a
 *       discontinuity, the chunk after the hole is emitted with {@code discontinuity = true} (and
 *       the reason in attribute {@value #GAP_ATTRIBUTE}), so that no window splices across it.
 * </ul>
 *
 * The first chunk of a stream may be any sequence number (a job can start mid-stream); the
 * sequencer waits within the bounds for lower ones before it starts. Emitted chunks are the input
 * objects with the mark set, not copies.
 *
 * <p>No side output: nothing here is malformed input (parsing dead-letters that earlier), and a
 * dropped duplicate is counted in {@value #METRIC_DUPLICATES_DROPPED}, not dead-lettered.
 */
public class ChunkSequencer extends KeyedProcessFunction<String, MediaChunk, MediaChunk>
    implements ResultTypeQueryable<MediaChunk> {
  private static final long serialVersionUID = 1L;

  /** Attribute that says why a chunk was marked as following a gap. */
  public static final String GAP_ATTRIBUTE = "pestream.gap";

  public static final String METRIC_CHUNKS_EMITTED = "chunksEmitted";
  public static final String METRIC_CHUNKS_REORDERED = "chunksReordered";
  public static final String METRIC_DUPLICATES_DROPPED = "duplicatesDropped";
  public static final String METRIC_GAPS = "gaps";
  public static final String METRIC_MISSING_CHUNKS = "missingChunks";

  private final int maxBufferedChunks;
  private final long maxWaitMillis;
  private final long clockToleranceUs;

  private transient ValueState<Long> nextSeq;
  private transient ValueState<Long> lastEndUs;
  private transient MapState<Long, MediaChunk> pending;
  private transient ValueState<Integer> pendingCount;
  private transient ValueState<Long> timerAt;

  private transient Counter emitted;
  private transient Counter reordered;
  private transient Counter duplicates;
  private transient Counter gaps;
  private transient Counter missing;

  /**
   * @param maxBufferedChunks chunks held per stream while waiting (>= 1)
   * @param maxWaitMillis processing time a missing chunk is waited for; 0 = no time bound
   * @param clockToleranceUs allowed difference between a chunk's start and the previous end
   */
  public ChunkSequencer(int maxBufferedChunks, long maxWaitMillis, long clockToleranceUs) {
    if (maxBufferedChunks < 1) {
      throw new IllegalArgumentException("maxBufferedChunks must be >= 1, got " + maxBufferedChunks);
    }
    if (maxWaitMillis < 0 || clockToleranceUs < 0) {
      throw new IllegalArgumentException("maxWait and clockTolerance must not be negative");
    }
    this.maxBufferedChunks = maxBufferedChunks;
    this.maxWaitMillis = maxWaitMillis;
    this.clockToleranceUs = clockToleranceUs;
  }

  @Override
  public void open(OpenContext openContext) {
    nextSeq = getRuntimeContext().getState(new ValueStateDescriptor<>("nextSeq", Types.LONG));
    lastEndUs = getRuntimeContext().getState(new ValueStateDescriptor<>("lastEndUs", Types.LONG));
    pending =
        getRuntimeContext()
            .getMapState(new MapStateDescriptor<>("pending", Types.LONG, RecordTypeInfo.forRecord(MediaChunk.class)));
    pendingCount = getRuntimeContext().getState(new ValueStateDescriptor<>("pendingCount", Types.INT));
    timerAt = getRuntimeContext().getState(new ValueStateDescriptor<>("timerAt", Types.LONG));
    var metrics = getRuntimeContext().getMetricGroup();
    emitted = metrics.counter(METRIC_CHUNKS_EMITTED);
    reordered = metrics.counter(METRIC_CHUNKS_REORDERED);
    duplicates = metrics.counter(METRIC_DUPLICATES_DROPPED);
    gaps = metrics.counter(METRIC_GAPS);
    missing = metrics.counter(METRIC_MISSING_CHUNKS);
  }

  @Override
  public void processElement(MediaChunk chunk, Context ctx, Collector<MediaChunk> out) throws Exception {
    long seq = chunk.getSeq();
    Long next = nextSeq.value();
    if ((next != null && seq < next) || pending.contains(seq)) {
      duplicates.inc();
      return;
    }
    if (next == null && seq == 0) {
      next = 0L;
    }
    if (next != null && seq == next) {
      emit(chunk, null, out);
      nextSeq.update(seq + 1);
      drain(out);
    } else {
      pending.put(seq, chunk);
      pendingCount.update(count() + 1);
      if (count() > maxBufferedChunks) {
        skipToOldest(out);
      }
    }
    updateTimer(ctx.timerService());
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<MediaChunk> out) throws Exception {
    Long armed = timerAt.value();
    if (armed == null || armed != timestamp) {
      return;
    }
    timerAt.clear();
    if (count() > 0) {
      skipToOldest(out);
    }
    updateTimer(ctx.timerService());
  }

  /** Gives up on the chunks missing before the oldest buffered one, and emits from there. */
  private void skipToOldest(Collector<MediaChunk> out) throws Exception {
    long oldest = Long.MAX_VALUE;
    for (Iterator<Long> it = pending.keys().iterator(); it.hasNext(); ) {
      oldest = Math.min(oldest, it.next());
    }
    Long next = nextSeq.value();
    String reason = null;
    if (next != null) {
      missing.inc(oldest - next);
      reason = oldest - next == 1 ? "missing chunk " + next : "missing chunks " + next + ".." + (oldest - 1);
    }
    MediaChunk chunk = pending.get(oldest);
    pending.remove(oldest);
    pendingCount.update(count() - 1);
    reordered.inc();
    emit(chunk, reason, out);
    nextSeq.update(oldest + 1);
    drain(out);
  }

  /** Emits buffered chunks as long as the next sequence number is there. */
  private void drain(Collector<MediaChunk> out) throws Exception {
    long next = nextSeq.value();
    while (count() > 0 && pending.contains(next)) {
      MediaChunk chunk = pending.get(next);
      pending.remove(next);
      pendingCount.update(count() - 1);
      reordered.inc();
      emit(chunk, null, out);
      next++;
    }
    nextSeq.update(next);
  }

  private void emit(MediaChunk chunk, String seqGap, Collector<MediaChunk> out) throws Exception {
    Long previousEnd = lastEndUs.value();
    String reason = seqGap;
    if (reason == null && chunk.getDiscontinuity()) {
      reason = "source discontinuity";
    }
    if (reason == null && previousEnd != null && Math.abs(chunk.getStartUs() - previousEnd) > clockToleranceUs) {
      reason = "clock jump from " + previousEnd + " us to " + chunk.getStartUs() + " us";
    }
    if (reason != null && (previousEnd != null || seqGap != null)) {
      gaps.inc();
      chunk.setDiscontinuity(true);
      Map<String, String> attributes = new HashMap<>(chunk.getAttributes());
      attributes.put(GAP_ATTRIBUTE, reason);
      chunk.setAttributes(attributes);
    }
    lastEndUs.update(chunk.getStartUs() + chunk.getDurationUs());
    emitted.inc();
    out.collect(chunk);
  }

  private void updateTimer(org.apache.flink.streaming.api.TimerService timers) throws Exception {
    Long armed = timerAt.value();
    if (count() == 0) {
      if (armed != null) {
        timers.deleteProcessingTimeTimer(armed);
        timerAt.clear();
      }
      pendingCount.clear();
    } else if (armed == null && maxWaitMillis > 0) {
      long at = timers.currentProcessingTime() + maxWaitMillis;
      timers.registerProcessingTimeTimer(at);
      timerAt.update(at);
    }
  }

  private int count() throws Exception {
    Integer n = pendingCount.value();
    return n == null ? 0 : n;
  }

  @Override
  public TypeInformation<MediaChunk> getProducedType() {
    return RecordTypeInfo.forRecord(MediaChunk.class);
  }
}
