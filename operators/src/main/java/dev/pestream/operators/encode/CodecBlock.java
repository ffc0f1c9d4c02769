package dev.pestream.operators.encode;

/**
 * One call of the audio codec: {@code samples} (a whole number of frames) start at frame {@code
 * firstFrame}; of the rows the codec returns, those for frames {@code [emitFrom, emitTo)} are
 * final (the others are context). {@code realEndSample} is where real audio ends when the block
 * was padded at the end of a segment, else the block's end.
 */
public record CodecBlock(long firstFrame, float[] samples, long emitFrom, long emitTo, long realEndSample) {
  public int contextRowsBefore() {
    return (int) (emitFrom - firstFrame);
  }

  public int emitCount() {
    return (int) (emitTo - emitFrom);
  }
}
