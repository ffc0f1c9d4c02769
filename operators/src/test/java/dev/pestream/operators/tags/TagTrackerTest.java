package dev.pestream.operators.tags;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.support.TestModels;
import dev.pestream.operators.windows.WindowEmbeddings;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.TagVocabulary;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TagTrackerTest {
  private static Models models;

  @BeforeAll
  static void open() {
    models = Models.open(TestModels.contractBundle(), RuntimeOptions.cpu());
  }

  @AfterAll
  static void close() {
    models.close();
  }

  /** The video embedding of a window of solid frames of one colour, through the real graphs. */
  private static WindowEmbeddings window(long index, int r, int g, int b) {
    int s = models.manifest().video().imageSize();
    byte[] rgb = new byte[s * s * 3];
    for (int p = 0; p < s * s; p++) {
      rgb[p * 3] = (byte) r;
      rgb[p * 3 + 1] = (byte) g;
      rgb[p * 3 + 2] = (byte) b;
    }
    float[] frame = models.frameEncoder().encode(models.frameEncoder().toPixelValues(rgb, s, s));
    WindowEmbeddings w = new WindowEmbeddings();
    w.streamId = "cam";
    w.window = index;
    w.startUs = index * 2_000_000;
    w.endUs = w.startUs + 10_000_000;
    w.video = models.videoEncoder().embed(new float[][] {frame, frame});
    w.videoFrameCount = 2;
    w.modelId = models.manifest().modelId();
    return w;
  }

  private static TagVocabulary vocabulary(String... tags) {
    return TagVocabulary.newBuilder().setVocabularyId("colours").setTags(List.of(tags)).setTopK(2)
        .setOnThreshold(0.6f).setOffThreshold(0.4f).setUpdatedAtMs(Instant.EPOCH).build();
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, WindowEmbeddings, TagVocabulary, TagEvent> harness()
      throws Exception {
    var h = new KeyedTwoInputStreamOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new TagTracker(TestModels.contract(), "video"), List.of(TagTracker.VOCABULARIES)),
        (WindowEmbeddings w) -> w.streamId, null, Types.STRING);
    h.setup(RecordTypeInfo.forRecord(TagEvent.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
  }

  @Test
  void aColourChangeRemovesTheOldTagAndAddsTheNewOneAtThatWindow() throws Exception {
    try (var h = harness()) {
      h.processElement2(new StreamRecord<>(vocabulary("red", "green", "blue")));
      h.processElement1(new StreamRecord<>(window(0, 230, 20, 20)));
      h.processElement1(new StreamRecord<>(window(1, 230, 20, 20)));
      h.processElement1(new StreamRecord<>(window(2, 20, 20, 230)));

      List<TagEvent> events = h.extractOutputValues();
      assertThat(events).extracting(e -> e.getAction() + " " + e.getTag() + " @" + e.getWindowStartUs())
          .containsExactly("ADDED red @0", "REMOVED red @4000000", "ADDED blue @4000000");
      assertThat(events.get(0).getScore()).isGreaterThan(0.6f);
      assertThat(events.get(1).getScore()).isLessThan(0.4f);
    }
  }

  @Test
  void malformedVocabulariesAreDeadLetteredAndTagsNeedAVocabulary() throws Exception {
    try (var h = harness()) {
      h.processElement1(new StreamRecord<>(window(0, 230, 20, 20)));
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement2(new StreamRecord<>(TagVocabulary.newBuilder(vocabulary("red")).setTopK(0).build()));
      assertThat(h.getSideOutput(DeadLetters.TAG)).singleElement()
          .satisfies(r -> assertThat(r.getValue().getReason()).contains("topK"));
      h.processElement2(new StreamRecord<>(vocabulary("red")));
      h.processElement1(new StreamRecord<>(window(1, 230, 20, 20)));
      assertThat(h.extractOutputValues()).extracting(TagEvent::getAction).containsExactly(TagAction.ADDED);
    }
  }
}
