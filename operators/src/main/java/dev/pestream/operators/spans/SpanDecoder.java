package dev.pestream.operators.spans;

import java.util.function.Consumer;

/**
 * Streaming span decoding: feeds per-frame probabilities of one (stream, prompt) in frame order
 * and reports spans as they open and close. With {@link SpanRule#reference} the spans are
 * exactly PE-A-Frame's reference rule: every maximal run of frames with prob > threshold is one
 * span [first * 40 ms, (last + 1) * 40 ms], clipped to the real duration at the end.
 */
public final class SpanDecoder {
  private final SpanRule rule;
  private final long frameUs;

  public SpanDecoder(SpanRule rule, long frameUs) {
    if (frameUs <= 0) {
      throw new IllegalArgumentException("frame duration must be positive");
    }
    this.rule = rule;
    this.frameUs = frameUs;
  }

  public SpanRule rule() {
    return rule;
  }

  /**
   * Feeds the probability of frame {@code frame}. Frames must arrive in increasing order; a
   * frame that skips ahead of {@link SpanTrack#nextFrame} first closes a running span (a hole in
   * the audio is never bridged).
   */
  public void advance(SpanTrack track, long frame, float prob, long ingestTimeMs, Consumer<SpanEvent> out) {
    if (track.running && frame != track.nextFrame) {
      finish(track, track.nextFrame * frameUs, out);
    }
    track.nextFrame = frame + 1;
    if (!track.running) {
      if (prob > rule.onThreshold()) {
        track.running = true;
        track.announced = false;
        track.startFrame = frame;
        track.lastAboveFrame = frame;
        track.peak = prob;
        track.sum = prob;
        track.count = 1;
        track.pendingSum = 0;
        track.pendingCount = 0;
        track.startIngestTimeMs = ingestTimeMs;
        announceIfLongEnough(track, out);
      }
      return;
    }
    if (prob > rule.offThreshold()) {
      track.sum += track.pendingSum + prob;
      track.count += track.pendingCount + 1;
      track.pendingSum = 0;
      track.pendingCount = 0;
      track.lastAboveFrame = frame;
      track.peak = Math.max(track.peak, prob);
      announceIfLongEnough(track, out);
      return;
    }
    track.pendingSum += prob;
    track.pendingCount++;
    if (track.pendingCount > rule.mergeGapFrames()) {
      finish(track, Long.MAX_VALUE, out);
    }
  }

  /**
   * Ends a running span because the audio ended (end of stream, a gap, an idle stream): the span
   * closes at its last frame above the threshold, clipped to {@code realEndUs}.
   */
  public void finish(SpanTrack track, long realEndUs, Consumer<SpanEvent> out) {
    if (!track.running) {
      return;
    }
    track.running = false;
    long endFrame = track.lastAboveFrame + 1;
    // A span shorter than minFrames was never announced and is dropped silently.
    if (track.announced) {
      long endUs = Math.min(endFrame * frameUs, Math.max(realEndUs, track.startFrame * frameUs));
      out.accept(event(track, false, endFrame, endUs));
    }
    track.announced = false;
  }

  private void announceIfLongEnough(SpanTrack track, Consumer<SpanEvent> out) {
    if (!track.announced && track.lengthFrames() >= rule.minFrames()) {
      track.announced = true;
      out.accept(event(track, true, 0, 0));
    }
  }

  private static SpanEvent event(SpanTrack t, boolean open, long endFrame, long endUs) {
    return new SpanEvent(open, t.startFrame, endFrame, endUs, t.peak, t.mean(), t.startIngestTimeMs);
  }
}
