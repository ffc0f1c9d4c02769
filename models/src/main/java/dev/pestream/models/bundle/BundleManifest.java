package dev.pestream.models.bundle;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parsed {@code manifest.json} of a model bundle (format in docs/architecture.md). Sections
 * a bundle does not need may be absent: {@code text} without text graphs, {@code video} without
 * video graphs, and so on; {@link ModelBundle#load} checks what each graph needs. {@code source}
 * is only in bundles installed by {@code pestream models pull} (null otherwise).
 */
public record BundleManifest(
    String format,
    String modelId,
    String version,
    String license,
    boolean contract,
    String description,
    Map<String, String> files,
    MediaSpecs.Audio audio,
    MediaSpecs.Video video,
    MediaSpecs.Text text,
    int embeddingDim,
    Map<String, HeadSpec> heads,
    Map<String, GraphSpec> graphs,
    BundleSource source) {

  /** The only format this code reads. */
  public static final String FORMAT = "pestream-bundle/1";

  public BundleManifest {
    files = files == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
    heads = heads == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(heads));
    graphs = graphs == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(graphs));
  }

  public HeadSpec head(String name) {
    HeadSpec head = heads.get(name);
    if (head == null) {
      throw new IllegalArgumentException("bundle " + modelId + " has no head '" + name + "' (heads: " + heads.keySet() + ")");
    }
    return head;
  }
}
