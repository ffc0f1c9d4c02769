package dev.pestream.operators.spans;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.operators.alerts.ControlRecords;
import dev.pestream.operators.alerts.StreamSelector;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.operators.common.StreamEnd;
import dev.pestream.operators.encode.EncodedChunk;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.SpanState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * PE-A-Frame on every stream: scores each 40 ms audio frame against every active prompt —
 * configured prompts plus the prompts of the alert rules that select the stream —
 * {@code prob = sigmoid(dot(frame embedding, prompt embedding) * scale + bias)}, decodes spans
 * per (stream, prompt) across chunk boundaries ({@link SpanDecoder}), and raises an alert when a
 * rule's span opens (at most once per cooldown per rule and stream).
 *
 * <p>Rules arrive as broadcast state: adding, changing or deleting one takes effect on the next
 * chunk of every stream, without a restart. Spans go to the main output (exactly-once sink);
 * alerts to {@link #ALERTS} (at-least-once sink, deterministic ids); malformed rules to
 * {@link DeadLetters#TAG}.
 */
public class SpanScorer extends KeyedBroadcastProcessFunction<String, EncodedChunk, AlertRule, EventSpan> {
  private static final long serialVersionUID = 1L;

  public static final String STAGE = "spans";
  public static final String HEAD = "frame_audio";
  public static final String GRAPH = "frame_level_audio";
  public static final MapStateDescriptor<String, AlertRule> RULES =
      new MapStateDescriptor<>("alert-rules", Types.STRING, RecordTypeInfo.forRecord(AlertRule.class));
  public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts", RecordTypeInfo.forRecord(Alert.class));

  public static final String METRIC_SPANS_OPENED = "spansOpened";
  public static final String METRIC_ALERTS = "alertsFired";
  public static final String METRIC_ALERT_LATENCY = "alertLatencyMs";
  public static final String METRIC_RULES_REJECTED = "rulesRejected";

  private final ModelsSpec modelsSpec;
  private final SpanSettings settings;
  private final StreamEnd streamEnd;

  private transient Models models;
  private transient HeadSpec head;
  private transient long frameUs;
  private transient int contextFrames;
  private transient String modelId;
  private transient String modelVersion;
  private transient MapState<String, SpanTrack> tracks;
  private transient MapState<String, Long> lastAlertUs;
  private transient ValueState<ScorerProgress> progress;
  private transient Counter spansOpened;
  private transient Counter alertsFired;
  private transient Counter rulesRejected;
  private transient Histogram alertLatency;

  public SpanScorer(ModelsSpec modelsSpec, SpanSettings settings) {
    this.modelsSpec = modelsSpec;
    this.settings = settings;
    this.streamEnd = new StreamEnd(settings.idleTimeout());
  }

  @Override
  public void open(OpenContext openContext) {
    models = modelsSpec.open(getRuntimeContext(), List.of(GRAPH), List.of(HEAD));
    BundleManifest manifest = models.manifest();
    head = manifest.head(HEAD);
    frameUs = manifest.audio().frameDurationUs();
    contextFrames = (int) (settings.context().toNanos() / 1000 / frameUs);
    modelId = manifest.modelId();
    modelVersion = manifest.version();
    tracks = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("span-tracks", Types.STRING, TypeInformation.of(SpanTrack.class)));
    lastAlertUs = getRuntimeContext().getMapState(new MapStateDescriptor<>("last-alert", Types.STRING, Types.LONG));
    progress = getRuntimeContext().getState(
        new ValueStateDescriptor<>("scorer-progress", TypeInformation.of(ScorerProgress.class)));
    var metrics = getRuntimeContext().getMetricGroup();
    spansOpened = metrics.counter(METRIC_SPANS_OPENED);
    alertsFired = metrics.counter(METRIC_ALERTS);
    rulesRejected = metrics.counter(METRIC_RULES_REJECTED);
    alertLatency = metrics.histogram(METRIC_ALERT_LATENCY, new DescriptiveStatisticsHistogram(1000));
  }

  @Override
  public void close() {
    if (models != null) {
      models.close();
      models = null;
    }
  }

  /** A prompt active on a stream: its decoding rule and, for rule prompts, the rule. */
  private record ActivePrompt(String id, String text, SpanRule rule, AlertRule alertRule) {}

  @Override
  public void processElement(EncodedChunk chunk, ReadOnlyContext ctx, Collector<EventSpan> out) throws Exception {
    ScorerProgress p = progress.value();
    if (p == null) {
      p = new ScorerProgress();
      streamEnd.onFirstChunk(ctx.timerService());
    }
    String streamId = ctx.getCurrentKey();
    boolean contiguous = !chunk.gapBefore && !p.closed && chunk.firstAudioFrame == p.nextFrame;
    if (!contiguous) {
      finishAll(streamId, p.audioEndUs, out, ctx);
      p.context = new float[0];
      p.contextRows = 0;
      p.closed = false;
    }
    if (chunk.audioFrameCount > 0) {
      Map<String, ActivePrompt> prompts = activePrompts(streamId, ctx.getBroadcastState(RULES));
      closeRetired(streamId, prompts, p.audioEndUs, out, ctx);
      score(streamId, chunk, p, prompts, out, ctx);
      p.nextFrame = chunk.firstAudioFrame + chunk.audioFrameCount;
      p.audioEndUs = chunk.audioEndUs;
    }
    p.lastArrivalMs = streamEnd.onChunk(ctx.timerService());
    progress.update(p);
  }

  private void score(String streamId, EncodedChunk chunk, ScorerProgress p, Map<String, ActivePrompt> prompts,
      Collector<EventSpan> out, ReadOnlyContext ctx) throws Exception {
    int dim = chunk.audioFeatureDim;
    float[][] rows = new float[p.contextRows + chunk.audioFrameCount][];
    for (int i = 0; i < p.contextRows; i++) {
      rows[i] = Arrays.copyOfRange(p.context, i * dim, (i + 1) * dim);
    }
    for (int i = 0; i < chunk.audioFrameCount; i++) {
      rows[p.contextRows + i] = chunk.audioFrame(i);
    }
    float[][] embeddings = models.frameLevelAudio().embed(rows);
    for (ActivePrompt prompt : prompts.values()) {
      float[] text = models.text().embed(prompt.text(), HEAD);
      SpanTrack track = tracks.get(prompt.id());
      if (track == null) {
        track = new SpanTrack();
        track.prompt = prompt.text();
      }
      track.threshold = prompt.rule().onThreshold();
      SpanDecoder decoder = new SpanDecoder(prompt.rule(), frameUs);
      List<SpanEvent> events = new ArrayList<>();
      for (int i = 0; i < chunk.audioFrameCount; i++) {
        float prob = (float) head.probability(embeddings[p.contextRows + i], text);
        decoder.advance(track, chunk.firstAudioFrame + i, prob, chunk.ingestTimeMs, events::add);
      }
      for (SpanEvent event : events) {
        emit(streamId, prompt, event, out, ctx);
      }
      tracks.put(prompt.id(), track);
    }
    int keep = Math.min(contextFrames, rows.length);
    float[] context = new float[keep * dim];
    for (int i = 0; i < keep; i++) {
      System.arraycopy(rows[rows.length - keep + i], 0, context, i * dim, dim);
    }
    p.context = context;
    p.contextRows = keep;
  }

  private void emit(String streamId, ActivePrompt prompt, SpanEvent event, Collector<EventSpan> out, ReadOnlyContext ctx)
      throws Exception {
    EventSpan span = EventSpan.newBuilder()
        .setSpanId(streamId + "/" + prompt.id() + "/" + event.startFrame())
        .setStreamId(streamId)
        .setPromptId(prompt.id())
        .setPromptText(prompt.text())
        .setStartUs(event.startUs(frameUs))
        .setEndUs(event.open() ? null : event.endUs())
        .setState(event.open() ? SpanState.OPEN : SpanState.CLOSED)
        .setPeakScore(event.peak())
        .setMeanScore(event.mean())
        .setThreshold(prompt.rule().onThreshold())
        .setModelId(modelId)
        .setModelVersion(modelVersion)
        .build();
    out.collect(span);
    if (event.open()) {
      spansOpened.inc();
      if (prompt.alertRule() != null) {
        maybeAlert(prompt.alertRule(), span, event, ctx);
      }
    }
  }

  private void maybeAlert(AlertRule rule, EventSpan span, SpanEvent event, ReadOnlyContext ctx) throws Exception {
    Long last = lastAlertUs.get(rule.getRuleId());
    if (last != null && span.getStartUs() - last < rule.getCooldownMs() * 1000) {
      return;
    }
    lastAlertUs.put(rule.getRuleId(), span.getStartUs());
    long now = System.currentTimeMillis();
    ctx.output(ALERTS, Alert.newBuilder()
        .setAlertId(rule.getRuleId() + "/" + span.getStreamId() + "/" + event.startFrame())
        .setRuleId(rule.getRuleId())
        .setStreamId(span.getStreamId())
        .setPrompt(rule.getPrompt())
        .setSpanId(span.getSpanId())
        .setSpanStartUs(span.getStartUs())
        .setScore(event.peak())
        .setThreshold(rule.getThreshold())
        .setChunkIngestTimeMs(Instant.ofEpochMilli(event.startIngestTimeMs()))
        .setFiredAtMs(Instant.ofEpochMilli(now))
        .setModelId(modelId)
        .build());
    alertsFired.inc();
    alertLatency.update(Math.max(0, now - event.startIngestTimeMs()));
  }

  private Map<String, ActivePrompt> activePrompts(String streamId, ReadOnlyBroadcastState<String, AlertRule> rules)
      throws Exception {
    Map<String, ActivePrompt> active = new LinkedHashMap<>();
    for (PromptSpec prompt : settings.prompts()) {
      active.put(prompt.id(), new ActivePrompt(prompt.id(), prompt.text(), settings.rule(), null));
    }
    for (Map.Entry<String, AlertRule> e : rules.immutableEntries()) {
      AlertRule rule = e.getValue();
      if (rule.getEnabled() && StreamSelector.matches(rule.getStreamSelector(), streamId)) {
        active.put(rule.getRuleId(), new ActivePrompt(rule.getRuleId(), rule.getPrompt(),
            settings.rule().withThreshold(rule.getThreshold()), rule));
      }
    }
    return active;
  }

  /** Closes the spans of prompts that are gone (rule deleted, disabled) or whose text changed. */
  private void closeRetired(String streamId, Map<String, ActivePrompt> prompts, long endUs, Collector<EventSpan> out,
      ReadOnlyContext ctx) throws Exception {
    List<String> retired = new ArrayList<>();
    for (Map.Entry<String, SpanTrack> e : tracks.entries()) {
      ActivePrompt prompt = prompts.get(e.getKey());
      if (prompt == null || !prompt.text().equals(e.getValue().prompt)) {
        retired.add(e.getKey());
      }
    }
    for (String id : retired) {
      SpanTrack track = tracks.get(id);
      finish(streamId, id, track, endUs, out, ctx);
      tracks.remove(id);
    }
  }

  private void finishAll(String streamId, long endUs, Collector<EventSpan> out, ReadOnlyContext ctx) throws Exception {
    List<String> ids = new ArrayList<>();
    tracks.keys().forEach(ids::add);
    for (String id : ids) {
      SpanTrack track = tracks.get(id);
      finish(streamId, id, track, endUs, out, ctx);
      tracks.put(id, track);
    }
  }

  private void finish(String streamId, String id, SpanTrack track, long endUs, Collector<EventSpan> out,
      ReadOnlyContext ctx) throws Exception {
    if (!track.running) {
      return;
    }
    List<SpanEvent> events = new ArrayList<>();
    new SpanDecoder(settings.rule(), frameUs).finish(track, endUs, events::add);
    ActivePrompt prompt = new ActivePrompt(id, track.prompt, settings.rule().withThreshold(track.threshold), null);
    for (SpanEvent event : events) {
      emit(streamId, prompt, event, out, ctx);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<EventSpan> out) throws Exception {
    ScorerProgress p = progress.value();
    if (p == null || p.closed) {
      return;
    }
    if (streamEnd.ends(timestamp, p.lastArrivalMs)) {
      finishAll(ctx.getCurrentKey(), p.audioEndUs, out, ctx);
      p.closed = true;
      progress.update(p);
    }
  }

  @Override
  public void processBroadcastElement(AlertRule rule, Context ctx, Collector<EventSpan> out) throws Exception {
    var problem = ControlRecords.problemWith(rule);
    if (problem.isPresent()) {
      rulesRejected.inc();
      // every parallel instance sees the rule; one dead letter is enough
      if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
        ctx.output(DeadLetters.TAG, DeadLetters.builder(STAGE, "INVALID_ALERT_RULE", problem.get())
            .setStreamId(rule.getRuleId()).build());
      }
      return;
    }
    if (rule.getDeleted()) {
      ctx.getBroadcastState(RULES).remove(rule.getRuleId());
    } else {
      ctx.getBroadcastState(RULES).put(rule.getRuleId(), rule);
    }
  }
}
