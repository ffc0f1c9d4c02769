package dev.pestream.tests.console;

import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.Modality;
import java.util.List;

/** Embedding records as the job writes them with the contract bundle, for tests that feed the console directly. */
public final class ContractEmbeddings {
  public static final String MODEL = "pestream/contract-pe-av";

  private ContractEmbeddings() {}

  /** The audio embedding of window [{@code startUs}, {@code endUs}) of {@code stream}; its dimension is the vector's. */
  public static Embedding audio(String stream, long startUs, long endUs, List<Float> vector) {
    return Embedding.newBuilder().setStreamId(stream).setWindowStartUs(startUs).setWindowEndUs(endUs)
        .setModality(Modality.AUDIO).setModelId(MODEL).setModelVersion("1.0.0").setDim(vector.size()).setVector(vector)
        .setTruncated(false).setFrameCount(1).build();
  }
}
