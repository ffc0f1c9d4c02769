package dev.pestream.operators.captions;

import static dev.pestream.connectors.plm.SettingChecks.notNegative;
import static dev.pestream.connectors.plm.SettingChecks.positive;
import static dev.pestream.connectors.plm.SettingChecks.range;

import dev.pestream.operators.decode.CaptionFramePolicy;
import java.io.Serializable;
import java.time.Duration;

/**
 * Which frames a caption sees: tumbling caption windows on the stream clock, one frame per
 * interval, at most {@code maxFrames} per window, resized and JPEG-encoded. Validated on
 * construction.
 *
 * @param window caption window length on the stream clock (tumbling windows)
 * @param frameInterval one frame per interval (1 s = PLM's 1 fps); the window is a whole number of intervals
 * @param maxFrames at most this many frames per window, chosen uniformly when more were sampled (PLM: 32)
 * @param idleTimeout a stream that sent nothing for this long has its open window captioned; 0 disables
 */
public record CaptionFrameSettings(Duration window, Duration frameInterval, int maxFrames, int imageSize,
    float jpegQuality, Duration idleTimeout) implements Serializable {
  /** PLM's image size (its vision tower reads 448x448 tiles). */
  public static final int PLM_IMAGE_SIZE = 448;
  /** PLM takes at most 32 video frames. */
  public static final int PLM_MAX_FRAMES = 32;
  public static final int MAX_FRAMES_LIMIT = 256;

  public CaptionFrameSettings {
    positive(window, "caption window");
    positive(frameInterval, "frame interval");
    if (window.toNanos() % 1000 != 0 || frameInterval.toNanos() % 1000 != 0) {
      throw new IllegalArgumentException("caption window and frame interval must be whole microseconds");
    }
    if (window.toNanos() % frameInterval.toNanos() != 0) {
      throw new IllegalArgumentException("the caption window (" + window + ") must be a whole number of frame intervals ("
          + frameInterval + ")");
    }
    range(maxFrames, 1, MAX_FRAMES_LIMIT, "max frames");
    range(imageSize, 16, 1024, "image size");
    if (!(jpegQuality > 0 && jpegQuality <= 1)) {
      throw new IllegalArgumentException("JPEG quality must be in (0, 1], got " + jpegQuality);
    }
    notNegative(idleTimeout, "idle timeout");
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().window(window).frameInterval(frameInterval).maxFrames(maxFrames).imageSize(imageSize)
        .jpegQuality(jpegQuality).idleTimeout(idleTimeout);
  }

  public long windowUs() {
    return window.toNanos() / 1000;
  }

  public long frameIntervalUs() {
    return frameInterval.toNanos() / 1000;
  }

  /** How the decode stage makes this stage's frames (pass it to {@code DecodeStage}). */
  public CaptionFramePolicy framePolicy() {
    return new CaptionFramePolicy(frameIntervalUs(), imageSize, jpegQuality);
  }

  /** Builds {@link CaptionFrameSettings}; by default PLM's: 10 s windows, 1 fps, 32 frames of 448x448. */
  public static final class Builder {
    private Duration window = Duration.ofSeconds(10);
    private Duration frameInterval = Duration.ofSeconds(1);
    private int maxFrames = PLM_MAX_FRAMES;
    private int imageSize = PLM_IMAGE_SIZE;
    private float jpegQuality = 0.9f;
    private Duration idleTimeout = Duration.ofSeconds(30);

    private Builder() {}

    public Builder window(Duration window) {
      this.window = window;
      return this;
    }

    public Builder frameInterval(Duration interval) {
      this.frameInterval = interval;
      return this;
    }

    /** Frames per second sampled for captions: sets {@link #frameInterval} to {@code 1/fps}. */
    public Builder framesPerSecond(double fps) {
      if (!(fps > 0) || Double.isInfinite(fps)) {
        throw new IllegalArgumentException("frames per second must be positive, got " + fps);
      }
      this.frameInterval = Duration.ofNanos(Math.round(1e9 / fps / 1000) * 1000);
      return this;
    }

    public Builder maxFrames(int maxFrames) {
      this.maxFrames = maxFrames;
      return this;
    }

    public Builder imageSize(int imageSize) {
      this.imageSize = imageSize;
      return this;
    }

    public Builder jpegQuality(float quality) {
      this.jpegQuality = quality;
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    public CaptionFrameSettings build() {
      return new CaptionFrameSettings(window, frameInterval, maxFrames, imageSize, jpegQuality, idleTimeout);
    }
  }
}
