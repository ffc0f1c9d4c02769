package dev.pestream.operators.decode;

import java.io.Serializable;

/**
 * The decode stage's second, optional video output: frames for the caption model (PLM). One frame
 * per {@code intervalUs} slot of the stream clock (the earliest of the slot within a chunk; 1 s =
 * PLM's 1 fps), resized straight to {@code imageSize x imageSize} with FFmpeg's bicubic scaler and
 * JPEG-encoded at {@code jpegQuality}. Off unless the decode stage is given one.
 */
public record CaptionFramePolicy(long intervalUs, int imageSize, float jpegQuality) implements Serializable {
  public CaptionFramePolicy {
    if (intervalUs <= 0) {
      throw new IllegalArgumentException("caption frame interval must be positive, got " + intervalUs + " us");
    }
    if (imageSize < 16 || imageSize > VideoPreprocessing.MAX_IMAGE_SIZE) {
      throw new IllegalArgumentException(
          "caption image size must be in [16, " + VideoPreprocessing.MAX_IMAGE_SIZE + "], got " + imageSize);
    }
    if (!(jpegQuality > 0 && jpegQuality <= 1)) {
      throw new IllegalArgumentException("JPEG quality must be in (0, 1], got " + jpegQuality);
    }
  }

  /** PLM's frames: 1 fps, 448x448, JPEG quality 0.9. */
  public static CaptionFramePolicy plm() {
    return new CaptionFramePolicy(1_000_000L, 448, 0.9f);
  }
}
