package dev.pestream.operators.captions;

/**
 * One video frame prepared for the caption model: resized to the model's square size (bicubic,
 * FFmpeg's scaler) and JPEG-encoded, at stream time {@code ptsUs}. A Flink POJO.
 */
public class CaptionFrame {
  public long ptsUs;
  public byte[] jpeg = new byte[0];

  public CaptionFrame() {}

  public CaptionFrame(long ptsUs, byte[] jpeg) {
    this.ptsUs = ptsUs;
    this.jpeg = jpeg;
  }
}
