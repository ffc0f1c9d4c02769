package dev.pestream.operators.windows;

import dev.pestream.operators.common.SegmentedWindowAssembler;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.FrameRate;
import dev.pestream.operators.encode.EncodedChunk;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/**
 * Per stream, turns in-order encoded chunks into sliding windows on the stream clock. Per-frame
 * features are kept in keyed state until no open window needs them, so overlapping windows reuse
 * them and no frame is encoded twice. A window is emitted as soon as the stream has covered its
 * end. A gap closes the open windows early (truncated at the last data before the hole) rather
 * than splicing audio or video across it; the end of a bounded input and an idle stream do the
 * same.
 */
public class WindowAssembler extends SegmentedWindowAssembler<EncodedChunk, WindowInput, AssemblerProgress> {
  private static final long serialVersionUID = 1L;

  public static final String METRIC_WINDOWS = "windowsAssembled";
  public static final String METRIC_TRUNCATED = "windowsTruncated";
  static final String AUDIO_FRAMES_STATE = "audio-frames";
  static final String VIDEO_FRAMES_STATE = "video-frames";
  static final String PROGRESS_STATE = "progress";

  private final WindowGrid grid;
  private final FramePolicy framePolicy;

  private transient MapState<Long, float[]> audioFrames;
  private transient MapState<Long, float[]> videoFrames;
  private transient Counter windows;
  private transient Counter truncated;

  /**
   * @param framePolicy with {@code uniform:K}, each window takes the K frames the policy selects
   *     (the decoder kept only frames some window selects); otherwise every frame in the window
   * @param idleTimeout flush the open windows of a stream that sent nothing for this long
   *     (processing time); {@link Duration#ZERO} disables it
   */
  public WindowAssembler(WindowGrid grid, FramePolicy framePolicy, Duration idleTimeout) {
    super(idleTimeout, PROGRESS_STATE, AssemblerProgress.class);
    this.grid = grid;
    this.framePolicy = framePolicy;
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    super.open(openContext);
    TypeInformation<float[]> floats = PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO;
    audioFrames = getRuntimeContext().getMapState(new MapStateDescriptor<>(AUDIO_FRAMES_STATE, Types.LONG, floats));
    videoFrames = getRuntimeContext().getMapState(new MapStateDescriptor<>(VIDEO_FRAMES_STATE, Types.LONG, floats));
    windows = getRuntimeContext().getMetricGroup().counter(METRIC_WINDOWS);
    truncated = getRuntimeContext().getMetricGroup().counter(METRIC_TRUNCATED);
  }

  @Override
  public void processElement(EncodedChunk chunk, Context ctx, Collector<WindowInput> out) throws Exception {
    AssemblerProgress p = beginChunk(chunk.gapBefore, chunk.startUs, ctx, out);
    p.audioFeatureDim = chunk.audioFeatureDim;
    p.frameFeatureDim = chunk.frameFeatureDim;
    if (chunk.frameRateNum > 0) {
      p.frameRateNum = chunk.frameRateNum;
      p.frameRateDen = chunk.frameRateDen;
    }
    p.latestIngestTimeMs = Math.max(p.latestIngestTimeMs, chunk.ingestTimeMs);
    for (int i = 0; i < chunk.audioFrameCount; i++) {
      long frame = chunk.firstAudioFrame + i;
      if (frame >= 0) {
        audioFrames.put(frame, chunk.audioFrame(i));
      }
    }
    for (int i = 0; i < chunk.videoPtsUs.length; i++) {
      videoFrames.put(chunk.videoPtsUs[i], chunk.videoFrame(i));
    }
    p.coveredUntilUs = Math.max(p.coveredUntilUs, chunk.endUs);
    while (grid.endUs(p.nextWindow) <= p.coveredUntilUs) {
      out.collect(assemble(ctx.getCurrentKey(), p, p.nextWindow, grid.endUs(p.nextWindow)));
      windows.inc();
      p.nextWindow++;
      prune(grid.startUs(p.nextWindow));
    }
    endChunk(p, ctx);
  }

  @Override
  protected long firstWindowOf(long segmentStartUs) {
    return grid.firstWindowEndingAfter(segmentStartUs);
  }

  @Override
  protected void flush(String streamId, AssemblerProgress p, Collector<WindowInput> out) throws Exception {
    while (grid.startUs(p.nextWindow) < p.coveredUntilUs) {
      WindowInput window = assemble(streamId, p, p.nextWindow, p.coveredUntilUs);
      window.truncated = true;
      out.collect(window);
      windows.inc();
      truncated.inc();
      p.nextWindow++;
    }
    audioFrames.clear();
    videoFrames.clear();
  }

  private WindowInput assemble(String streamId, AssemblerProgress p, long window, long endUs) throws Exception {
    long dataStart = Math.max(grid.startUs(window), p.segmentStartUs);
    WindowInput w = new WindowInput();
    w.streamId = streamId;
    w.window = window;
    w.startUs = grid.startUs(window);
    w.endUs = endUs;
    w.truncated = dataStart > w.startUs || endUs < grid.endUs(window);
    w.ingestTimeMs = p.latestIngestTimeMs;
    w.audioFeatureDim = p.audioFeatureDim;
    w.frameFeatureDim = p.frameFeatureDim;

    long firstFrame = ceilDiv(dataStart, grid.frameUs());
    long endFrame = ceilDiv(endUs, grid.frameUs());
    List<float[]> audio = new ArrayList<>();
    long first = -1;
    for (long f = firstFrame; f < endFrame; f++) {
      float[] features = audioFrames.get(f);
      if (features != null) {
        if (first < 0) {
          first = f;
        }
        audio.add(features);
      }
    }
    w.firstAudioFrame = Math.max(first, firstFrame);
    w.audioFrameCount = audio.size();
    w.audioFeatures = flatten(audio, p.audioFeatureDim);

    TreeMap<Long, float[]> inWindow = new TreeMap<>();
    for (Map.Entry<Long, float[]> e : videoFrames.entries()) {
      if (e.getKey() >= dataStart && e.getKey() < endUs) {
        inWindow.put(e.getKey(), e.getValue());
      }
    }
    List<Long> pts = selectFrames(window, inWindow, p);
    w.videoFrameCount = pts.size();
    w.videoPtsUs = pts.stream().mapToLong(Long::longValue).toArray();
    w.videoFeatures = flatten(pts.stream().map(inWindow::get).toList(), p.frameFeatureDim);
    return w;
  }

  /**
   * The window's frames in time order: all of them, or for {@code uniform:K} the K the policy
   * picks by grid index (a pick repeats when the window has fewer than K frames; a pick lost in a
   * gap is left out).
   */
  private List<Long> selectFrames(long window, TreeMap<Long, float[]> inWindow, AssemblerProgress p) {
    if (!(framePolicy instanceof FramePolicy.Uniform uniform) || p.frameRateNum <= 0) {
      return new ArrayList<>(inWindow.keySet());
    }
    FrameRate rate = new FrameRate(p.frameRateNum, p.frameRateDen);
    Map<Long, Long> ptsByGrid = new HashMap<>();
    for (Long pts : inWindow.keySet()) {
      ptsByGrid.put(rate.gridIndexOf(pts), pts);
    }
    List<Long> picked = new ArrayList<>();
    for (long grid : uniform.selectedGridIndices(window, rate)) {
      Long pts = ptsByGrid.get(grid);
      if (pts != null) {
        picked.add(pts);
      }
    }
    return picked;
  }

  /** Drops frames that no window from {@code keepFromUs} on needs. */
  private void prune(long keepFromUs) throws Exception {
    long keepFromFrame = ceilDiv(keepFromUs, grid.frameUs());
    for (Iterator<Long> it = audioFrames.keys().iterator(); it.hasNext(); ) {
      if (it.next() < keepFromFrame) {
        it.remove();
      }
    }
    for (Iterator<Long> it = videoFrames.keys().iterator(); it.hasNext(); ) {
      if (it.next() < keepFromUs) {
        it.remove();
      }
    }
  }

  private static float[] flatten(List<float[]> rows, int dim) {
    float[] flat = new float[rows.size() * dim];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, flat, i * dim, dim);
    }
    return flat;
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
