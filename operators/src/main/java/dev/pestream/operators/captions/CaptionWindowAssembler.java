package dev.pestream.operators.captions;

import dev.pestream.operators.common.SegmentProgress;
import dev.pestream.operators.common.SegmentedWindowAssembler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/**
 * Per stream, collects caption frames into tumbling caption windows on the stream clock (window
 * {@code k} covers {@code [k*W, (k+1)*W)}) and emits a {@link CaptionRequest} as soon as the
 * stream has covered a window's end. Only the earliest frame of each frame-interval slot is kept
 * (PLM's 1 fps), so state holds at most {@code W / interval} frames per stream; a window with
 * more than the maximum gets an even spread of them ({@link CaptionSampling}).
 *
 * <p>Segments as the embedding {@code WindowAssembler} ({@link SegmentedWindowAssembler}): a gap,
 * or here also a chunk that failed to decode, closes the open window early, truncated at the last
 * data before the hole, rather than splicing across it; the end of a bounded input and an idle
 * stream do the same; a window index is emitted at most once. A window without any frame (an audio-only stream) yields no request.
 */
public class CaptionWindowAssembler extends SegmentedWindowAssembler<CaptionChunk, CaptionRequest, SegmentProgress> {
  private static final long serialVersionUID = 1L;

  public static final String METRIC_WINDOWS = "captionWindowsAssembled";
  public static final String METRIC_TRUNCATED = "captionWindowsTruncated";
  public static final String METRIC_EMPTY = "captionWindowsWithoutFrames";
  static final String FRAMES_STATE = "caption-frames";
  static final String PROGRESS_STATE = "caption-progress";

  private final long windowUs;
  private final long intervalUs;
  private final int maxFrames;

  private transient MapState<Long, CaptionFrame> frames;
  private transient Counter windows;
  private transient Counter truncated;
  private transient Counter empty;

  public CaptionWindowAssembler(CaptionSettings settings) {
    this(settings.frames().window(), settings.frames().frameInterval(), settings.frames().maxFrames(),
        settings.frames().idleTimeout());
  }

  /**
   * @param idleTimeout caption the open window of a stream that sent nothing for this long
   *     (processing time); {@link Duration#ZERO} disables it
   */
  public CaptionWindowAssembler(Duration window, Duration frameInterval, int maxFrames, Duration idleTimeout) {
    super(idleTimeout, PROGRESS_STATE, SegmentProgress.class);
    this.windowUs = window.toNanos() / 1000;
    this.intervalUs = frameInterval.toNanos() / 1000;
    if (windowUs <= 0 || intervalUs <= 0 || windowUs % intervalUs != 0) {
      throw new IllegalArgumentException("the caption window must be a positive whole number of frame intervals");
    }
    if (maxFrames < 1) {
      throw new IllegalArgumentException("max frames must be >= 1");
    }
    this.maxFrames = maxFrames;
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    super.open(openContext);
    frames = getRuntimeContext().getMapState(
        new MapStateDescriptor<>(FRAMES_STATE, Types.LONG, TypeInformation.of(CaptionFrame.class)));
    windows = getRuntimeContext().getMetricGroup().counter(METRIC_WINDOWS);
    truncated = getRuntimeContext().getMetricGroup().counter(METRIC_TRUNCATED);
    empty = getRuntimeContext().getMetricGroup().counter(METRIC_EMPTY);
  }

  @Override
  public void processElement(CaptionChunk chunk, Context ctx, Collector<CaptionRequest> out) throws Exception {
    SegmentProgress p = beginChunk(chunk.gapBefore, chunk.startUs, ctx, out);
    p.latestIngestTimeMs = Math.max(p.latestIngestTimeMs, chunk.ingestTimeMs);
    if (chunk.decodeFailed) {
      // A hole: what came before is captioned as it is; the next chunk starts a new segment.
      flush(ctx.getCurrentKey(), p, out);
      p.segmentClosed = true;
    } else {
      long keepFromUs = Math.max(windowStartUs(p.nextWindow), p.segmentStartUs);
      for (CaptionFrame frame : chunk.frames) {
        if (frame.ptsUs >= keepFromUs) {
          long slot = CaptionSampling.slotOf(frame.ptsUs, intervalUs);
          CaptionFrame kept = frames.get(slot);
          if (kept == null || frame.ptsUs < kept.ptsUs) {
            frames.put(slot, frame);
          }
        }
      }
      p.coveredUntilUs = Math.max(p.coveredUntilUs, chunk.endUs);
      while (windowStartUs(p.nextWindow + 1) <= p.coveredUntilUs) {
        emit(ctx.getCurrentKey(), p, p.nextWindow, windowStartUs(p.nextWindow + 1), out);
        p.nextWindow++;
      }
    }
    endChunk(p, ctx);
  }

  @Override
  protected long firstWindowOf(long segmentStartUs) {
    return Math.floorDiv(segmentStartUs, windowUs);
  }

  @Override
  protected void flush(String streamId, SegmentProgress p, Collector<CaptionRequest> out) throws Exception {
    while (windowStartUs(p.nextWindow) < p.coveredUntilUs) {
      emit(streamId, p, p.nextWindow, p.coveredUntilUs, out);
      p.nextWindow++;
    }
    frames.clear();
  }

  /** Emits window {@code w} ending at {@code endUs} (if it has frames) and drops its frames from state. */
  private void emit(String streamId, SegmentProgress p, long w, long endUs, Collector<CaptionRequest> out)
      throws Exception {
    long startUs = windowStartUs(w);
    long dataStartUs = Math.max(startUs, p.segmentStartUs);
    List<CaptionFrame> inWindow = new ArrayList<>();
    for (Iterator<CaptionFrame> it = frames.values().iterator(); it.hasNext(); ) {
      CaptionFrame f = it.next();
      if (f.ptsUs < windowStartUs(w + 1)) {
        if (f.ptsUs >= dataStartUs && f.ptsUs < endUs) {
          inWindow.add(f);
        }
        it.remove();
      }
    }
    windows.inc();
    if (inWindow.isEmpty()) {
      empty.inc();
      return;
    }
    inWindow.sort(Comparator.comparingLong(f -> f.ptsUs));
    long[] pts = inWindow.stream().mapToLong(f -> f.ptsUs).toArray();
    int[] picked = CaptionSampling.select(pts, intervalUs, maxFrames);

    CaptionRequest request = new CaptionRequest();
    request.streamId = streamId;
    request.window = w;
    request.windowStartUs = startUs;
    request.windowEndUs = endUs;
    request.truncated = dataStartUs > startUs || endUs < windowStartUs(w + 1);
    request.ingestTimeMs = p.latestIngestTimeMs;
    request.frames = new CaptionFrame[picked.length];
    for (int i = 0; i < picked.length; i++) {
      request.frames[i] = inWindow.get(picked[i]);
    }
    if (request.truncated) {
      truncated.inc();
    }
    out.collect(request);
  }

  private long windowStartUs(long w) {
    return w * windowUs;
  }
}
