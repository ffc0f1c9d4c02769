package dev.pestream.schemas.archfixture;

import dev.pestream.operators.decode.FramePolicy;

/** A deliberate layering violation (schemas → operators) that ArchitectureTest must report. */
public final class RecordThatReachesIntoOperators {
  private FramePolicy policy;

  public boolean hasPolicy() {
    return policy != null;
  }
}
