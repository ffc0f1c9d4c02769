package dev.pestream.operators.common;

import dev.pestream.models.Models;
import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.runtime.RuntimeOptions;
import java.io.Serializable;
import org.apache.flink.api.common.functions.RuntimeContext;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which model bundle an operator uses and how it runs. Serializable so operators carry it to the
 * TaskManagers, where {@link #open} joins the JVM-wide shared sessions (one ONNX Runtime session
 * per graph per TaskManager, whatever the number of slots). The bundle folder must exist on every
 * TaskManager.
 */
public record ModelsSpec(String bundleDir, RuntimeOptions options) implements Serializable {
  public ModelsSpec {
    if (bundleDir == null || bundleDir.isBlank()) {
      throw new IllegalArgumentException("a model bundle folder is required");
    }
  }

  public BundleManifest manifest() {
    return ModelBundle.readManifest(Path.of(bundleDir));
  }

  /**
   * Opens (or joins) the bundle with just the graphs an operator needs: the given graph roles
   * that the bundle has, plus the text graphs behind the given heads. Close it in the operator's
   * close().
   */
  public Models open(List<String> graphs, List<String> heads) {
    BundleManifest manifest = manifest();
    Set<String> needed = new LinkedHashSet<>();
    for (String graph : graphs) {
      if (manifest.graphs().containsKey(graph)) {
        needed.add(graph);
      }
    }
    for (String head : heads) {
      if (manifest.heads().containsKey(head)) {
        needed.add(manifest.head(head).graph());
      }
    }
    if (needed.isEmpty()) {
      // an empty selection would open every graph of the bundle
      throw new IllegalArgumentException("bundle " + manifest.modelId() + " has none of the graphs " + graphs
          + " or heads " + heads + " this operator needs");
    }
    return Models.open(Path.of(bundleDir), options.toBuilder().graphs(needed).build());
  }

  /**
   * {@link #open(List, List)} for a Flink operator: the shared sessions' batching metrics are
   * reported under {@code <operator>.models.<graph>} (models/README.md), the operator's own group
   * being the parent that {@link Models#registerMetrics} adds {@code models} to.
   */
  public Models open(RuntimeContext context, List<String> graphs, List<String> heads) {
    Models models = open(graphs, heads);
    models.registerMetrics(context.getMetricGroup());
    return models;
  }
}
