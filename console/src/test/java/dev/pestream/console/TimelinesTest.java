package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.Modality;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Timelines: spans replaced by their closing record, tag segments, the stream glob, the horizon. */
class TimelinesTest {
  private static EventSpan span(String stream, String id, long start, Long end) {
    return EventSpan.newBuilder().setSpanId(id).setStreamId(stream).setPromptId("beep").setPromptText("beep")
        .setStartUs(start).setEndUs(end).setState(end == null ? SpanState.OPEN : SpanState.CLOSED).setPeakScore(0.9f)
        .setMeanScore(0.8f).setThreshold(0.3f).setModelId("m").setModelVersion("1").build();
  }

  private static TagEvent tag(String stream, String tag, TagAction action, long start) {
    return TagEvent.newBuilder().setStreamId(stream).setVocabularyId("colours").setTag(tag).setAction(action)
        .setWindowStartUs(start).setWindowEndUs(start + 2_000_000).setScore(0.9f).setModelId("m").build();
  }

  @Test
  void closingRecordReplacesTheOpenSpanAndTagsBecomeSegments() {
    Timelines t = new Timelines();
    t.add(span("cam-1", "s1", 7_300_000, null), 1);
    t.add(span("cam-1", "s1", 7_300_000, 12_900_000L), 2);
    t.add(tag("cam-1", "red", TagAction.ADDED, 0), 3);
    t.add(tag("cam-1", "red", TagAction.REMOVED, 14_000_000), 4);
    t.add(tag("cam-1", "blue", TagAction.ADDED, 14_000_000), 5);

    Timelines.Timeline timeline = t.timeline("cam-1", null, null);
    assertThat(timeline.spans()).singleElement().satisfies(s -> {
      assertThat(s.state()).isEqualTo("CLOSED");
      assertThat(s.endUs()).isEqualTo(12_900_000L);
    });
    assertThat(timeline.tags()).extracting(seg -> seg.tag() + " " + seg.startUs() + "-" + seg.endUs())
        .containsExactly("red 0-14000000", "blue 14000000-null");
    assertThat(t.streams(null)).singleElement().satisfies(s -> {
      assertThat(s.tags()).containsExactly("blue");
      assertThat(s.lastResultUs()).isEqualTo(16_000_000L);
    });
    assertThat(t.timeline("cam-1", 13_000_000L, 20_000_000L).spans()).isEmpty();
    assertThat(t.timeline("nope", null, null)).isNull();
  }

  @Test
  void streamGlobSelectsLanes() {
    Timelines t = new Timelines();
    for (String s : new String[] {"cam-1", "cam-10", "lobby", "cam-x"}) {
      t.add(span(s, s, 0, 1L), 1);
    }
    assertThat(t.streams("cam-?")).extracting(Timelines.StreamSummary::streamId).containsExactly("cam-1", "cam-x");
    assertThat(t.streams("*1*")).extracting(Timelines.StreamSummary::streamId).containsExactly("cam-1", "cam-10");
    assertThat(t.streams(null)).hasSize(4);
  }

  @Test
  void aRestartedConsoleStartsFromWhatTheIndexHolds() {
    Timelines t = new Timelines();
    t.seedFromIndex(Map.of("cam-1", new EmbeddingIndex.IndexedStream(Map.of(Modality.AUDIO, 4, Modality.VIDEO, 2), 9_000_000)));
    assertThat(t.streams(null)).singleElement().satisfies(s -> {
      assertThat(s.lastResultUs()).isEqualTo(9_000_000L);
      assertThat(s.counts()).containsEntry("embeddings.audio", 4L).containsEntry("embeddings.video", 2L)
          .containsEntry("embeddings.audio_video", 0L);
    });
    t.countEmbedding("cam-1", Modality.AUDIO, 10_000_000);
    assertThat(t.streams(null).get(0).lastResultUs()).isEqualTo(10_000_000L);
    assertThat(t.streams(null).get(0).counts()).containsEntry("embeddings.audio", 5L);
  }

  @Test
  void resultsOlderThanTheHorizonAreForgotten() {
    Timelines t = new Timelines();
    t.add(span("old", "a", 0, 1L), 1_000);
    t.add(span("new", "b", 0, 1L), 5_000);
    t.expire(2_000);
    assertThat(t.streams(null)).extracting(Timelines.StreamSummary::streamId).containsExactly("new");
  }
}
