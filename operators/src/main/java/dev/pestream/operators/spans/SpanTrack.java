package dev.pestream.operators.spans;

/**
 * The decoding state of one (stream, prompt): kept in Flink keyed state between chunks, so a
 * span follows the audio across chunk and window boundaries. A Flink POJO.
 */
public class SpanTrack {
  /** True while a candidate span is running (it may not have been announced yet). */
  public boolean running;
  /** True once the OPEN event of the running span was emitted. */
  public boolean announced;
  public long startFrame;
  public long lastAboveFrame;
  /** The next frame index this track expects; frames are fed in order. */
  public long nextFrame;
  public float peak;
  /** Sum and count of probabilities from startFrame to lastAboveFrame. */
  public double sum;
  public int count;
  /** Probabilities below the off threshold since lastAboveFrame (merged if the span resumes). */
  public double pendingSum;
  public int pendingCount;
  /** Ingest time of the chunk whose frame started the running span (for alert latency). */
  public long startIngestTimeMs;
  /** The prompt text this track scores; a rule whose text changes starts a new track. */
  public String prompt;
  /** The threshold the track was last decoded with (reported on the span). */
  public float threshold;

  public SpanTrack() {}

  public float mean() {
    return count == 0 ? 0f : (float) (sum / count);
  }

  public long lengthFrames() {
    return lastAboveFrame - startFrame + 1;
  }
}
