package dev.pestream.operators.captions;

/**
 * What the caption stage needs from one decoded chunk: how far it covers the stream clock, whether
 * media is missing before it, and its caption frames (already sampled, resized and JPEG-encoded).
 * A Flink POJO.
 */
public class CaptionChunk {
  public String streamId;
  public long seq;
  /** Stream-clock range of the chunk, microseconds ({@code endUs} exclusive). */
  public long startUs;
  public long endUs;
  public long ingestTimeMs;
  /** Media is missing right before this chunk: no window may be spliced across the hole. */
  public boolean gapBefore;
  /** The chunk could not be decoded (a dead letter says why): its range is a hole. */
  public boolean decodeFailed;
  /** Caption frames in presentation order. */
  public CaptionFrame[] frames = new CaptionFrame[0];

  public CaptionChunk() {}
}
