package dev.pestream.operators.windows;

import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.Modality;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.util.Collector;

/** One {@link Embedding} record per modality computed for a window. */
public class EmbeddingRecords implements FlatMapFunction<WindowEmbeddings, Embedding>, ResultTypeQueryable<Embedding> {
  private static final long serialVersionUID = 1L;

  @Override
  public void flatMap(WindowEmbeddings w, Collector<Embedding> out) {
    emit(w, Modality.AUDIO, w.audio, w.audioFrameCount, out);
    emit(w, Modality.VIDEO, w.video, w.videoFrameCount, out);
    emit(w, Modality.AUDIO_VIDEO, w.audioVideo, w.audioFrameCount, out);
  }

  private static void emit(WindowEmbeddings w, Modality modality, float[] vector, int frames, Collector<Embedding> out) {
    if (vector.length == 0) {
      return;
    }
    List<Float> values = new ArrayList<>(vector.length);
    for (float x : vector) {
      values.add(x);
    }
    out.collect(Embedding.newBuilder()
        .setStreamId(w.streamId)
        .setWindowStartUs(w.startUs)
        .setWindowEndUs(w.endUs)
        .setModality(modality)
        .setModelId(w.modelId)
        .setModelVersion(w.modelVersion)
        .setDim(vector.length)
        .setVector(values)
        .setTruncated(w.truncated)
        .setFrameCount(frames)
        .build());
  }

  @Override
  public TypeInformation<Embedding> getProducedType() {
    return RecordTypeInfo.forRecord(Embedding.class);
  }
}
