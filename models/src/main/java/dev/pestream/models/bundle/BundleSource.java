package dev.pestream.models.bundle;

import java.util.List;

/**
 * Where a pulled bundle came from ({@code manifest.json} → {@code source}, written by {@code
 * pestream models pull}): the hub endpoint, each checkpoint's repository, requested revision and
 * the commit it resolved to, and the export's parity summary (the worst cosine of every graph
 * and end-to-end check against transformers, details in {@code parity.json}). Absent in bundles
 * exported by hand and in the contract bundle.
 */
public record BundleSource(String endpoint, List<Checkpoint> checkpoints, Parity parity) {
  public BundleSource {
    checkpoints = checkpoints == null ? List.of() : List.copyOf(checkpoints);
  }

  /** One downloaded checkpoint. */
  public record Checkpoint(String repoId, String revision, String commit) {}

  /** The export's parity verdict for this precision. */
  public record Parity(String precision, double threshold, double minCosine, boolean passed) {}
}
