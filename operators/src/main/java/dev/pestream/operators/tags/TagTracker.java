package dev.pestream.operators.tags;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.HeadSpec;
import dev.pestream.operators.alerts.ControlRecords;
import dev.pestream.operators.alerts.StreamSelector;
import dev.pestream.operators.common.ModelsSpec;
import dev.pestream.operators.windows.WindowEmbeddings;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.TagVocabulary;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Continuous video tagging: every window's video embedding is scored against each tag of the
 * vocabularies that select the stream ({@code prob = sigmoid(dot * scale + bias)} with the
 * bundle's text-to-video head); {@link TagSelection} keeps the top-k with hysteresis, and the
 * differences to the previous window become ADDED / REMOVED events. Tag texts are embedded once
 * (cached by the model runtime). Vocabularies arrive as broadcast state and can change while the
 * job runs.
 */
public class TagTracker extends KeyedBroadcastProcessFunction<String, WindowEmbeddings, TagVocabulary, TagEvent> {
  private static final long serialVersionUID = 1L;

  public static final String STAGE = "tags";
  public static final MapStateDescriptor<String, TagVocabulary> VOCABULARIES =
      new MapStateDescriptor<>("tag-vocabularies", Types.STRING, RecordTypeInfo.forRecord(TagVocabulary.class));
  public static final String METRIC_TAG_EVENTS = "tagEvents";

  private final ModelsSpec modelsSpec;
  private final String head;

  private transient Models models;
  private transient HeadSpec headSpec;
  private transient MapState<String, String[]> activeTags;
  private transient Counter tagEvents;

  /** @param head the text head the window embedding is scored with: video (default) or audio / audio_video */
  public TagTracker(ModelsSpec modelsSpec, String head) {
    this.modelsSpec = modelsSpec;
    this.head = head;
  }

  @Override
  public void open(OpenContext openContext) {
    models = modelsSpec.open(getRuntimeContext(), List.of(), List.of(head));
    headSpec = models.manifest().head(head);
    activeTags = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("active-tags", Types.STRING, BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO));
    tagEvents = getRuntimeContext().getMetricGroup().counter(METRIC_TAG_EVENTS);
  }

  @Override
  public void close() {
    if (models != null) {
      models.close();
      models = null;
    }
  }

  @Override
  public void processElement(WindowEmbeddings w, ReadOnlyContext ctx, Collector<TagEvent> out) throws Exception {
    float[] embedding = switch (head) {
      case "audio" -> w.audio;
      case "audio_video" -> w.audioVideo;
      default -> w.video;
    };
    if (embedding.length == 0) {
      return;
    }
    for (Map.Entry<String, TagVocabulary> e : ctx.getBroadcastState(VOCABULARIES).immutableEntries()) {
      TagVocabulary vocabulary = e.getValue();
      if (!StreamSelector.matches(vocabulary.getStreamSelector(), w.streamId)) {
        continue;
      }
      Map<String, Float> scores = new LinkedHashMap<>();
      for (String tag : vocabulary.getTags()) {
        scores.put(tag, (float) headSpec.probability(embedding, models.text().embed(tag, head)));
      }
      String[] previousArray = activeTags.get(vocabulary.getVocabularyId());
      Set<String> previous = previousArray == null ? new LinkedHashSet<>() : new LinkedHashSet<>(List.of(previousArray));
      previous.retainAll(scores.keySet());
      Set<String> current = TagSelection.active(previous, scores, vocabulary.getTopK(),
          vocabulary.getOnThreshold(), vocabulary.getOffThreshold());
      for (TagSelection.Change change : TagSelection.changes(previous, current, scores)) {
        out.collect(TagEvent.newBuilder()
            .setStreamId(w.streamId)
            .setVocabularyId(vocabulary.getVocabularyId())
            .setTag(change.tag())
            .setAction(change.added() ? TagAction.ADDED : TagAction.REMOVED)
            .setWindowStartUs(w.startUs)
            .setWindowEndUs(w.endUs)
            .setScore(change.score())
            .setModelId(w.modelId)
            .build());
        tagEvents.inc();
      }
      activeTags.put(vocabulary.getVocabularyId(), current.toArray(new String[0]));
    }
  }

  @Override
  public void processBroadcastElement(TagVocabulary vocabulary, Context ctx, Collector<TagEvent> out) throws Exception {
    var problem = ControlRecords.problemWith(vocabulary);
    if (problem.isPresent()) {
      if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
        ctx.output(DeadLetters.TAG, DeadLetters.builder(STAGE, "INVALID_TAG_VOCABULARY", problem.get())
            .setStreamId(vocabulary.getVocabularyId()).build());
      }
      return;
    }
    if (vocabulary.getDeleted()) {
      ctx.getBroadcastState(VOCABULARIES).remove(vocabulary.getVocabularyId());
    } else {
      ctx.getBroadcastState(VOCABULARIES).put(vocabulary.getVocabularyId(), vocabulary);
    }
  }
}
