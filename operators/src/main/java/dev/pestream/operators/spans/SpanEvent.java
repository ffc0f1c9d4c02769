package dev.pestream.operators.spans;

/**
 * A span opening or closing. Frames are 40 ms audio frames on the stream clock; {@code
 * endFrameExclusive} is only set on close. {@code endUs} is the end clipped to the real audio
 * duration where the stream ended inside the last frame.
 */
public record SpanEvent(
    boolean open,
    long startFrame,
    long endFrameExclusive,
    long endUs,
    float peak,
    float mean,
    long startIngestTimeMs) {

  public long startUs(long frameUs) {
    return startFrame * frameUs;
  }
}
