package dev.pestream.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a reload of the sources file does to the running streams: start the added ones, restart
 * the changed ones (same stream id, another spec: sequence numbers and clock continue), stop the
 * removed ones, and leave every other stream untouched.
 */
public record FleetPlan(List<SourceSpec> added, List<SourceSpec> changed, List<String> removed, int unchanged) {

  /** From the specs of the running streams to {@code next}. */
  public static FleetPlan between(Map<String, SourceSpec> running, SourcesConfig next) {
    List<SourceSpec> added = new ArrayList<>();
    List<SourceSpec> changed = new ArrayList<>();
    int unchanged = 0;
    Map<String, SourceSpec> wanted = next.byStreamId();
    for (SourceSpec spec : wanted.values()) {
      SourceSpec current = running.get(spec.streamId());
      if (current == null) {
        added.add(spec);
      } else if (!current.equals(spec)) {
        changed.add(spec);
      } else {
        unchanged++;
      }
    }
    List<String> removed = running.keySet().stream().filter(id -> !wanted.containsKey(id)).toList();
    return new FleetPlan(List.copyOf(added), List.copyOf(changed), removed, unchanged);
  }

  public boolean isEmpty() {
    return added.isEmpty() && changed.isEmpty() && removed.isEmpty();
  }

  @Override
  public String toString() {
    return added.size() + " added, " + changed.size() + " changed, " + removed.size() + " removed, " + unchanged
        + " unchanged";
  }
}
