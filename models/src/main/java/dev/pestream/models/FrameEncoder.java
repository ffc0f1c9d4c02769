package dev.pestream.models;

import dev.pestream.models.bundle.MediaSpecs;
import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@code frame_encoder}: one normalised S x S RGB frame (CHW) -> frame features {@code [frameFeatureDim]}. */
public final class FrameEncoder extends RoleClient {
  private final MediaSpecs.Video video;

  FrameEncoder(BatchedSession session, MediaSpecs.Video video) {
    super(session);
    this.video = video;
  }

  /** Encodes {@code pixelValues}: float {@code [3][S][S]} flattened, already normalised ({@link #toPixelValues}). */
  public float[] encode(float[] pixelValues) {
    return ModelCalls.await(encodeAsync(pixelValues));
  }

  public CompletableFuture<float[]> encodeAsync(float[] pixelValues) {
    return encodeAsync(pixelValues, 0);
  }

  /**
   * Encodes the frame at element {@code offset} of {@code frames} (frames back to back, e.g. a
   * decoded chunk's pixels) without copying it: {@code frames} must not change until the result is in.
   */
  public CompletableFuture<float[]> encodeAsync(float[] frames, int offset) {
    int s = video.imageSize();
    return submit(Map.of("pixel_values", ItemTensor.floatSlice(frames, offset, 3, s, s)))
        .thenApply(r -> r.get("frame_features"));
  }

  /**
   * Interleaved RGB24 bytes of an S x S frame (already resized, e.g. by FFmpeg's scaler) to the
   * model's input: channels first, {@code (value / 255 - mean) / std} with the manifest's constants.
   */
  public float[] toPixelValues(byte[] rgb, int width, int height) {
    int s = video.imageSize();
    if (width != s || height != s || rgb.length != s * s * 3) {
      throw new IllegalArgumentException("frame_encoder needs an RGB24 frame of " + s + "x" + s + ", got " + width + "x"
          + height + " (" + rgb.length + " bytes)");
    }
    int plane = s * s;
    float[] out = new float[3 * plane];
    for (int c = 0; c < 3; c++) {
      float mean = video.mean().get(c).floatValue();
      float scale = 1f / (255f * video.std().get(c).floatValue());
      float shift = mean / video.std().get(c).floatValue();
      for (int p = 0; p < plane; p++) {
        out[c * plane + p] = (rgb[p * 3 + c] & 0xff) * scale - shift;
      }
    }
    return out;
  }

  public MediaSpecs.Video video() {
    return video;
  }
}
