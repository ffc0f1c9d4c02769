package dev.pestream.operators.encode;

import java.util.Arrays;
import java.util.Optional;

/**
 * Cuts a stream's audio into codec calls on the fixed 40 ms frame grid of the stream clock
 * (frame {@code f} = samples {@code [f*hop, (f+1)*hop)}), whatever the chunk boundaries are.
 *
 * <p>Samples of a frame split across chunks wait in {@link FramerState} for the rest. With a
 * codec that needs {@code contextFrames} of context on each side (its convolutions see past the
 * frame), every call carries that many frames before the first emitted frame, and the last
 * {@code contextFrames} complete frames wait for the next chunk, so chunked features equal
 * whole-clip features. A segment's last partial frame is reflect-padded, as the reference
 * feature extractor pads a clip's end.
 */
public final class AudioFramer {
  private final int hop;
  private final int contextFrames;

  public AudioFramer(int hopSamples, int contextFrames) {
    if (hopSamples <= 0 || contextFrames < 0) {
      throw new IllegalArgumentException("hop must be > 0 and context >= 0");
    }
    this.hop = hopSamples;
    this.contextFrames = contextFrames;
  }

  /**
   * Whether audio starting at {@code startSample} continues the segment in {@code state}: within
   * half a frame of where it ended (encoders jitter by a few samples at packet boundaries).
   */
  public boolean continues(FramerState state, long startSample) {
    return state.active && Math.abs(startSample - state.bufferEndSample()) <= hop / 2;
  }

  /**
   * Adds samples that continue the segment (or start one) and returns the codec call for the
   * frames that became final, if any. The caller {@link #flush}es first on a discontinuity.
   */
  public Optional<CodecBlock> push(FramerState state, long startSample, float[] samples) {
    if (!state.active) {
      long firstFrame = Math.floorDiv(startSample, hop);
      state.active = true;
      state.bufferStartSample = firstFrame * hop;
      state.nextFrame = firstFrame;
      // the segment starts inside its first frame: the part before it is silence
      state.buffer = new float[(int) (startSample - state.bufferStartSample)];
    } else if (!continues(state, startSample)) {
      throw new IllegalStateException("audio at sample " + startSample + " does not continue the segment ending at "
          + state.bufferEndSample() + "; flush first");
    }
    int skip = (int) Math.max(0, state.bufferEndSample() - startSample);
    int silence = (int) Math.max(0, startSample - state.bufferEndSample());
    int added = Math.max(0, samples.length - skip);
    float[] grown = Arrays.copyOf(state.buffer, state.buffer.length + silence + added);
    System.arraycopy(samples, Math.min(skip, samples.length), grown, state.buffer.length + silence, added);
    state.buffer = grown;

    long completeEnd = state.bufferStartSample / hop + state.buffer.length / hop;
    long emitTo = completeEnd - contextFrames;
    if (emitTo <= state.nextFrame) {
      return Optional.empty();
    }
    return Optional.of(take(state, completeEnd, emitTo, emitTo * hop));
  }

  /** Ends the segment: emits every remaining frame, the last one reflect-padded. */
  public Optional<CodecBlock> flush(FramerState state) {
    if (!state.active) {
      return Optional.empty();
    }
    long realEnd = state.bufferEndSample();
    long endFrame = Math.floorDiv(realEnd + hop - 1, hop);
    state.active = false;
    if (endFrame <= state.nextFrame) {
      state.buffer = new float[0];
      return Optional.empty();
    }
    int padded = (int) (endFrame * hop - state.bufferStartSample);
    state.buffer = reflectPad(state.buffer, padded);
    CodecBlock block = take(state, endFrame, endFrame, realEnd);
    state.buffer = new float[0];
    return Optional.of(block);
  }

  /** Codec input from the left context up to {@code endFrame}; keeps what later calls need. */
  private CodecBlock take(FramerState state, long endFrame, long emitTo, long realEndSample) {
    long bufferFirstFrame = state.bufferStartSample / hop;
    long firstFrame = Math.max(bufferFirstFrame, state.nextFrame - contextFrames);
    int from = (int) ((firstFrame - bufferFirstFrame) * hop);
    int to = (int) ((endFrame - bufferFirstFrame) * hop);
    CodecBlock block = new CodecBlock(firstFrame, Arrays.copyOfRange(state.buffer, from, to), state.nextFrame,
        emitTo, realEndSample);
    state.nextFrame = emitTo;
    // at least one frame stays, so a partial last frame can always be reflect-padded from real
    // samples (the padding mirrors up to hop - 1 samples before the end)
    long keepFromFrame = Math.max(bufferFirstFrame, emitTo - Math.max(contextFrames, 1));
    int keepFrom = (int) ((keepFromFrame - bufferFirstFrame) * hop);
    state.buffer = Arrays.copyOfRange(state.buffer, keepFrom, state.buffer.length);
    state.bufferStartSample = keepFromFrame * hop;
    return block;
  }

  /** numpy's 'reflect' padding at the end (falls back to zeros for very short tails). */
  static float[] reflectPad(float[] samples, int length) {
    float[] out = Arrays.copyOf(samples, length);
    int n = samples.length;
    for (int i = n; i < length; i++) {
      int mirrored = 2 * (n - 1) - i;
      out[i] = n > 1 && mirrored >= 0 ? samples[mirrored] : 0f;
    }
    return out;
  }
}
