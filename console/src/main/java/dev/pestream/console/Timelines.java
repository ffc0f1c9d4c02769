package dev.pestream.console;

import dev.pestream.operators.alerts.StreamSelector;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.Modality;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every stream's spans, alerts, tag segments and captions, in memory, for records that arrived
 * within the horizon (Kafka record time). Thread-safe: the follower thread writes, HTTP threads read.
 * The JSON shapes of the API are the records below.
 */
public final class Timelines {
  /** A span as the API shows it; {@code endUs} is null while the span is open. */
  public record Span(String spanId, String promptId, String prompt, long startUs, Long endUs, String state, float peak,
                     long receivedAtMs) {}

  public record AlertMark(String alertId, String ruleId, String prompt, long spanStartUs, float score, float threshold,
                          long firedAtMs, long receivedAtMs) {}

  /** A tag that was on from {@code startUs} to {@code endUs} (null: still on). */
  public record TagSegment(String vocabularyId, String tag, long startUs, Long endUs, float score, long receivedAtMs) {}

  public record CaptionMark(long windowStartUs, long windowEndUs, String status, String text, String error,
                            long receivedAtMs) {}

  public record Timeline(List<Span> spans, List<AlertMark> alerts, List<TagSegment> tags, List<CaptionMark> captions) {}

  public record StreamSummary(String streamId, long lastResultUs, List<String> tags, Map<String, Long> counts) {}

  private static final class StreamState {
    final Map<String, Span> spans = new LinkedHashMap<>();
    final List<AlertMark> alerts = new ArrayList<>();
    final List<TagSegment> tags = new ArrayList<>();
    final List<CaptionMark> captions = new ArrayList<>();
    final Map<Modality, Long> embeddings = new EnumMap<>(Modality.class);
    long lastResultUs = -1;
  }

  private final Map<String, StreamState> streams = new TreeMap<>();

  public synchronized Span add(EventSpan s, long receivedAtMs) {
    StreamState state = stream(s.getStreamId());
    Span span = new Span(s.getSpanId(), s.getPromptId(), s.getPromptText(), s.getStartUs(), s.getEndUs(),
        s.getState().name(), s.getPeakScore(), receivedAtMs);
    state.spans.put(s.getSpanId(), span); // CLOSED replaces OPEN
    seen(state, s.getEndUs() != null ? s.getEndUs() : s.getStartUs());
    return span;
  }

  public synchronized AlertMark add(Alert a, long receivedAtMs) {
    StreamState state = stream(a.getStreamId());
    AlertMark mark = new AlertMark(a.getAlertId(), a.getRuleId(), a.getPrompt(), a.getSpanStartUs(), a.getScore(),
        a.getThreshold(), a.getFiredAtMs().toEpochMilli(), receivedAtMs);
    // alerts are written at least once: the alert id makes a repeat harmless
    state.alerts.removeIf(m -> m.alertId().equals(a.getAlertId()));
    state.alerts.add(mark);
    seen(state, a.getSpanStartUs());
    return mark;
  }

  public synchronized TagSegment add(TagEvent t, long receivedAtMs) {
    StreamState state = stream(t.getStreamId());
    TagSegment segment;
    if (t.getAction() == TagAction.ADDED) {
      segment = new TagSegment(t.getVocabularyId(), t.getTag(), t.getWindowStartUs(), null, t.getScore(), receivedAtMs);
      state.tags.add(segment);
    } else {
      int open = lastOpen(state.tags, t);
      TagSegment was = open >= 0 ? state.tags.get(open)
          : new TagSegment(t.getVocabularyId(), t.getTag(), t.getWindowStartUs(), null, t.getScore(), receivedAtMs);
      segment = new TagSegment(was.vocabularyId(), was.tag(), was.startUs(), t.getWindowStartUs(), was.score(), receivedAtMs);
      if (open >= 0) {
        state.tags.set(open, segment);
      } else {
        state.tags.add(segment);
      }
    }
    seen(state, t.getWindowEndUs());
    return segment;
  }

  public synchronized CaptionMark add(Caption c, long receivedAtMs) {
    StreamState state = stream(c.getStreamId());
    CaptionMark mark = new CaptionMark(c.getWindowStartUs(), c.getWindowEndUs(), c.getStatus().name(),
        c.getText(), c.getError(), receivedAtMs);
    state.captions.add(mark);
    seen(state, c.getWindowEndUs());
    return mark;
  }

  /** Counts an indexed embedding (for the stream list). */
  public synchronized void countEmbedding(String streamId, Modality modality, long windowEndUs) {
    StreamState state = stream(streamId);
    state.embeddings.merge(modality, 1L, Long::sum);
    seen(state, windowEndUs);
  }

  /** Starts the embedding counts and each stream's last result from what the index holds (a restarted console). */
  public synchronized void seedFromIndex(Map<String, EmbeddingIndex.IndexedStream> indexed) {
    indexed.forEach((streamId, held) -> {
      StreamState state = stream(streamId);
      held.counts().forEach((m, n) -> state.embeddings.put(m, (long) n));
      seen(state, held.lastWindowEndUs());
    });
  }

  /** The stream's results overlapping [fromUs, toUs] (null = open), or null for an unknown stream. */
  public synchronized Timeline timeline(String streamId, Long fromUs, Long toUs) {
    StreamState state = streams.get(streamId);
    if (state == null) {
      return null;
    }
    long from = fromUs == null ? Long.MIN_VALUE : fromUs;
    long to = toUs == null ? Long.MAX_VALUE : toUs;
    return new Timeline(
        state.spans.values().stream().filter(s -> overlaps(s.startUs(), s.endUs(), from, to))
            .sorted(Comparator.comparingLong(Span::startUs)).toList(),
        state.alerts.stream().filter(a -> a.spanStartUs() >= from && a.spanStartUs() <= to)
            .sorted(Comparator.comparingLong(AlertMark::spanStartUs)).toList(),
        state.tags.stream().filter(t -> overlaps(t.startUs(), t.endUs(), from, to))
            .sorted(Comparator.comparingLong(TagSegment::startUs)).toList(),
        state.captions.stream().filter(c -> overlaps(c.windowStartUs(), c.windowEndUs(), from, to))
            .sorted(Comparator.comparingLong(CaptionMark::windowStartUs)).toList());
  }

  /** Every known stream matching {@code glob} (null = all), by id. */
  public synchronized List<StreamSummary> streams(String glob) {
    List<StreamSummary> out = new ArrayList<>();
    streams.forEach((id, state) -> {
      if (glob == null || StreamSelector.matches(glob, id)) {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("spans", (long) state.spans.size());
        counts.put("alerts", (long) state.alerts.size());
        counts.put("tags", (long) state.tags.size());
        counts.put("captions", (long) state.captions.size());
        for (Modality m : Modality.values()) {
          counts.put("embeddings." + m.name().toLowerCase(java.util.Locale.ROOT), state.embeddings.getOrDefault(m, 0L));
        }
        List<String> active = state.tags.stream().filter(t -> t.endUs() == null).map(TagSegment::tag).distinct().toList();
        out.add(new StreamSummary(id, state.lastResultUs, active, counts));
      }
    });
    return out;
  }

  /** Forgets results that arrived before {@code oldestMs}; streams left empty disappear. */
  public synchronized void expire(long oldestMs) {
    streams.values().forEach(state -> {
      state.spans.values().removeIf(s -> s.receivedAtMs() < oldestMs);
      state.alerts.removeIf(a -> a.receivedAtMs() < oldestMs);
      state.tags.removeIf(t -> t.receivedAtMs() < oldestMs && t.endUs() != null);
      state.captions.removeIf(c -> c.receivedAtMs() < oldestMs);
    });
    streams.values().removeIf(s -> s.spans.isEmpty() && s.alerts.isEmpty() && s.tags.isEmpty() && s.captions.isEmpty()
        && s.embeddings.isEmpty());
  }

  private StreamState stream(String id) {
    return streams.computeIfAbsent(id, k -> new StreamState());
  }

  private static void seen(StreamState state, long us) {
    state.lastResultUs = Math.max(state.lastResultUs, us);
  }

  private static int lastOpen(List<TagSegment> tags, TagEvent removed) {
    for (int i = tags.size() - 1; i >= 0; i--) {
      TagSegment t = tags.get(i);
      if (t.endUs() == null && t.tag().equals(removed.getTag()) && t.vocabularyId().equals(removed.getVocabularyId())) {
        return i;
      }
    }
    return -1;
  }

  private static boolean overlaps(long start, Long end, long from, long to) {
    return start <= to && (end == null || end >= from);
  }
}
