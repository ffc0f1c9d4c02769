package dev.pestream.operators.decode;

/**
 * One chunk decoded into model-ready media (a Flink POJO of primitive arrays, cheap to
 * serialize).
 *
 * <p>Audio: mono 48 kHz float PCM; {@code audio[i]} is sample {@code audioStartSample + i} of the
 * stream ({@link AudioClock}). Video: {@code frameCount()} kept frames, frame {@code f} at stream
 * time {@code framePtsUs[f]} and nominal grid index {@code frameIndex[f]} (see {@link
 * FramePolicy}), its pixels {@code pixels[f * frameFloats() ... (f + 1) * frameFloats())} as
 * normalised RGB planes, channels first, {@code imageSize x imageSize}.
 *
 * <p>{@code gapBefore}: media is missing right before this chunk (a sequence gap, a clock jump or
 * a source discontinuity); windows must not splice across it. {@code decodeFailed}: the chunk
 * could not be decoded (a dead letter says why); it carries no media and its time range is a hole.
 */
public class DecodedChunk {
  public String streamId;
  public long seq;
  public long startUs;
  public long durationUs;
  public long ingestTimeMs;
  public boolean gapBefore;
  public boolean decodeFailed;

  public long audioStartSample;
  public float[] audio = new float[0];

  public int imageSize;
  public long frameRateNum;
  public long frameRateDen = 1;
  public long[] framePtsUs = new long[0];
  public long[] frameIndex = new long[0];
  public float[] pixels = new float[0];

  /** Caption frames, when the decode stage makes them ({@link CaptionFramePolicy}): stream times, increasing. */
  public long[] captionPtsUs = new long[0];
  /** JPEG bytes of each caption frame ({@code captionPtsUs[i]}), square at the caption policy's size. */
  public byte[][] captionJpegs = new byte[0][];

  public DecodedChunk() {}

  public int frameCount() {
    return framePtsUs.length;
  }

  /** Floats per frame: {@code 3 * imageSize * imageSize}. */
  public int frameFloats() {
    return 3 * imageSize * imageSize;
  }

  /** Offset of frame {@code f} in {@link #pixels}. */
  public int frameOffset(int f) {
    return f * frameFloats();
  }

  public boolean hasAudio() {
    return audio.length > 0;
  }

  /** Index just past the last audio sample. */
  public long audioEndSample() {
    return audioStartSample + audio.length;
  }

  public FrameRate frameRate() {
    return new FrameRate(frameRateNum, frameRateDen);
  }

  @Override
  public String toString() {
    return "DecodedChunk{" + streamId + "#" + seq + " @" + startUs + "us+" + durationUs + "us"
        + (gapBefore ? " gapBefore" : "") + (decodeFailed ? " FAILED" : "")
        + ", audio=" + audio.length + " samples from " + audioStartSample
        + ", frames=" + frameCount() + " (" + imageSize + "px, " + frameRate() + " fps)"
        + (captionPtsUs.length > 0 ? ", caption frames=" + captionPtsUs.length : "") + "}";
  }
}
