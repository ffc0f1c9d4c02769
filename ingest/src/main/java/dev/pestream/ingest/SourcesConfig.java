package dev.pestream.ingest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed sources file: the streams in file order, each with the line it starts on (for
 * messages; not part of the spec, so moving a source within the file does not restart it).
 */
public record SourcesConfig(List<SourceSpec> sources, Map<String, Integer> lines) {

  public SourcesConfig {
    sources = List.copyOf(sources);
    lines = Map.copyOf(lines);
  }

  /** The streams by id, in file order. */
  public Map<String, SourceSpec> byStreamId() {
    Map<String, SourceSpec> byId = new LinkedHashMap<>();
    sources.forEach(s -> byId.put(s.streamId(), s));
    return byId;
  }
}
