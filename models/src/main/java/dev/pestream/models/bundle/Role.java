package dev.pestream.models.bundle;

import java.util.ArrayList;
import java.util.List;

/**
 * The graph roles a bundle can hold and the I/O contract each must follow (docs/architecture.md).
 * Expected shapes use tokens: a lower-case dimension name is symbolic (any symbolic name is
 * accepted), {@code featureDim}/{@code imageSize}/{@code frameFeatureDim}/{@code embeddingDim} are the
 * manifest's constants, digits are literal sizes.
 */
public enum Role {
  AUDIO_CODEC("audio_codec",
      List.of(io("waveform", TensorType.FLOAT32, "batch", "1", "samples")),
      List.of(io("features", TensorType.FLOAT32, "batch", "frames", "featureDim"))),
  FRAME_ENCODER("frame_encoder",
      List.of(io("pixel_values", TensorType.FLOAT32, "batch", "3", "imageSize", "imageSize")),
      List.of(io("frame_features", TensorType.FLOAT32, "batch", "frameFeatureDim"))),
  AUDIO_ENCODER("audio_encoder", Io.AUDIO_IN,
      List.of(io("audio_embedding", TensorType.FLOAT32, "batch", "embeddingDim"))),
  VIDEO_ENCODER("video_encoder", Io.VIDEO_IN,
      List.of(io("video_embedding", TensorType.FLOAT32, "batch", "embeddingDim"))),
  AV_ENCODER("av_encoder", Io.concat(Io.AUDIO_IN, Io.VIDEO_IN),
      List.of(io("audio_video_embedding", TensorType.FLOAT32, "batch", "embeddingDim"))),
  FRAME_LEVEL_AUDIO("frame_level_audio", Io.AUDIO_IN,
      List.of(io("frame_embeddings", TensorType.FLOAT32, "batch", "frames", "embeddingDim"))),
  /** Any graph a head names; outputs: one f32[batch, embeddingDim] per head it serves. */
  TEXT_ENCODER("text_encoder",
      List.of(io("input_ids", TensorType.INT64, "batch", "length"),
          io("attention_mask", TensorType.INT64, "batch", "length")),
      List.of());

  /** An expected tensor: name, dtype and shape tokens. */
  public record Io(String name, TensorType dtype, List<String> shape) {
    static final List<Io> AUDIO_IN = List.of(
        io("audio_features", TensorType.FLOAT32, "batch", "frames", "featureDim"),
        io("audio_mask", TensorType.BOOL, "batch", "frames"));
    static final List<Io> VIDEO_IN = List.of(
        io("frame_features", TensorType.FLOAT32, "batch", "video_frames", "frameFeatureDim"),
        io("video_mask", TensorType.BOOL, "batch", "video_frames"));

    static List<Io> concat(List<Io> a, List<Io> b) {
      List<Io> all = new ArrayList<>(a);
      all.addAll(b);
      return List.copyOf(all);
    }
  }

  private final String graphName;
  private final List<Io> inputs;
  private final List<Io> outputs;

  Role(String graphName, List<Io> inputs, List<Io> outputs) {
    this.graphName = graphName;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  private static Io io(String name, TensorType dtype, String... shape) {
    return new Io(name, dtype, List.of(shape));
  }

  /** The graph key this role has in {@code manifest.graphs}. */
  public String graphName() {
    return graphName;
  }

  public List<Io> inputs() {
    return inputs;
  }

  public List<Io> outputs() {
    return outputs;
  }

  /**
   * The role of a graph key: a role's own name, or {@link #TEXT_ENCODER} for any other graph that
   * a head names (a bundle may have several text graphs); null when neither.
   */
  public static Role of(String graphName, BundleManifest manifest) {
    for (Role role : values()) {
      if (role.graphName.equals(graphName)) {
        return role;
      }
    }
    boolean namedByHead = manifest.heads().values().stream().anyMatch(h -> h.graph().equals(graphName));
    return namedByHead ? TEXT_ENCODER : null;
  }
}
