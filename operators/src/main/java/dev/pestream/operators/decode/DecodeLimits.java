package dev.pestream.operators.decode;

import java.io.Serializable;

/**
 * Bounds on the work one untrusted chunk may cause. Defaults suit chunks of about a second cut
 * at keyframes (they allow up to 20 s per chunk, 4K pictures, 60 fps); build with {@link
 * #builder()}.
 */
public final class DecodeLimits implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 32 << 20;
  public static final long DEFAULT_MAX_DURATION_US = 20_000_000L;
  public static final int DEFAULT_MAX_VIDEO_FRAMES = 1_200;
  public static final int DEFAULT_MAX_WIDTH = 4096;
  public static final int DEFAULT_MAX_HEIGHT = 4096;
  public static final long DEFAULT_MAX_DECODE_MILLIS = 10_000L;
  public static final int DEFAULT_DECODER_THREADS = 1;

  private final int maxPayloadBytes;
  private final long maxDurationUs;
  private final int maxVideoFrames;
  private final int maxWidth;
  private final int maxHeight;
  private final long maxDecodeMillis;
  private final int decoderThreads;

  private DecodeLimits(Builder b) {
    this.maxPayloadBytes = b.maxPayloadBytes;
    this.maxDurationUs = b.maxDurationUs;
    this.maxVideoFrames = b.maxVideoFrames;
    this.maxWidth = b.maxWidth;
    this.maxHeight = b.maxHeight;
    this.maxDecodeMillis = b.maxDecodeMillis;
    this.decoderThreads = b.decoderThreads;
  }

  public static DecodeLimits defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Largest payload (inline or blob) accepted. */
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  /** Longest decoded media (audio or video, measured from the chunk start). */
  public long maxDurationUs() {
    return maxDurationUs;
  }

  /** Most video frames decoded from one chunk (kept or not). */
  public int maxVideoFrames() {
    return maxVideoFrames;
  }

  public int maxWidth() {
    return maxWidth;
  }

  public int maxHeight() {
    return maxHeight;
  }

  /** Wall-clock budget of one chunk; checked on every I/O callback, packet and frame. */
  public long maxDecodeMillis() {
    return maxDecodeMillis;
  }

  /** Decoder threads per codec (1 = the operator's own thread; Flink parallelism scales out). */
  public int decoderThreads() {
    return decoderThreads;
  }

  /** Most 48 kHz output samples one chunk may produce. */
  public long maxAudioSamples() {
    return AudioClock.sampleIndexOf(maxDurationUs) + AudioClock.SAMPLE_RATE;
  }

  public Builder toBuilder() {
    return new Builder()
        .maxPayloadBytes(maxPayloadBytes)
        .maxDurationUs(maxDurationUs)
        .maxVideoFrames(maxVideoFrames)
        .maxResolution(maxWidth, maxHeight)
        .maxDecodeMillis(maxDecodeMillis)
        .decoderThreads(decoderThreads);
  }

  @Override
  public String toString() {
    return "DecodeLimits{payload<=" + maxPayloadBytes + "B, duration<=" + maxDurationUs + "us, frames<="
        + maxVideoFrames + ", resolution<=" + maxWidth + "x" + maxHeight + ", time<=" + maxDecodeMillis
        + "ms, threads=" + decoderThreads + "}";
  }

  /** Builds validated limits. */
  public static final class Builder {
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private long maxDurationUs = DEFAULT_MAX_DURATION_US;
    private int maxVideoFrames = DEFAULT_MAX_VIDEO_FRAMES;
    private int maxWidth = DEFAULT_MAX_WIDTH;
    private int maxHeight = DEFAULT_MAX_HEIGHT;
    private long maxDecodeMillis = DEFAULT_MAX_DECODE_MILLIS;
    private int decoderThreads = DEFAULT_DECODER_THREADS;

    private Builder() {}

    public Builder maxPayloadBytes(int v) {
      maxPayloadBytes = v;
      return this;
    }

    public Builder maxDurationUs(long v) {
      maxDurationUs = v;
      return this;
    }

    public Builder maxVideoFrames(int v) {
      maxVideoFrames = v;
      return this;
    }

    public Builder maxResolution(int width, int height) {
      maxWidth = width;
      maxHeight = height;
      return this;
    }

    public Builder maxDecodeMillis(long v) {
      maxDecodeMillis = v;
      return this;
    }

    public Builder decoderThreads(int v) {
      decoderThreads = v;
      return this;
    }

    public DecodeLimits build() {
      require(maxPayloadBytes > 0, "maxPayloadBytes must be positive");
      require(maxDurationUs > 0, "maxDurationUs must be positive");
      require(maxVideoFrames > 0, "maxVideoFrames must be positive");
      require(maxWidth > 0 && maxHeight > 0 && maxWidth <= 16384 && maxHeight <= 16384,
          "max resolution must be within 1..16384 on each side");
      require(maxDecodeMillis > 0, "maxDecodeMillis must be positive");
      require(decoderThreads >= 0 && decoderThreads <= 64, "decoderThreads must be 0 (auto) .. 64");
      return new DecodeLimits(this);
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }
}
