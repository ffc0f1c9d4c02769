package dev.pestream.operators.tags;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which tags are active for a window: a tag turns on when its probability rises above the on
 * threshold and stays on while it is above the off threshold (hysteresis, so a score hovering at
 * the threshold does not flap); of those, the {@code topK} highest scores are active.
 */
public final class TagSelection {
  private TagSelection() {}

  /** A change of one tag's state at a window. */
  public record Change(String tag, boolean added, float score) {}

  /**
   * The tags active in this window given those active in the previous one and this window's
   * scores (tag → probability). Ties break by tag text, so the result is deterministic.
   */
  public static Set<String> active(Set<String> previous, Map<String, Float> scores, int topK,
      float onThreshold, float offThreshold) {
    if (topK < 1 || offThreshold > onThreshold) {
      throw new IllegalArgumentException("need topK >= 1 and offThreshold <= onThreshold");
    }
    List<Map.Entry<String, Float>> candidates = new ArrayList<>();
    for (Map.Entry<String, Float> e : scores.entrySet()) {
      float threshold = previous.contains(e.getKey()) ? offThreshold : onThreshold;
      if (e.getValue() > threshold) {
        candidates.add(e);
      }
    }
    candidates.sort(Map.Entry.<String, Float>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    Set<String> active = new LinkedHashSet<>();
    for (int i = 0; i < Math.min(topK, candidates.size()); i++) {
      active.add(candidates.get(i).getKey());
    }
    return active;
  }

  /** Removals first, then additions, each in tag order. */
  public static List<Change> changes(Set<String> previous, Set<String> current, Map<String, Float> scores) {
    List<Change> changes = new ArrayList<>();
    previous.stream().filter(t -> !current.contains(t)).sorted()
        .forEach(t -> changes.add(new Change(t, false, scores.getOrDefault(t, 0f))));
    current.stream().filter(t -> !previous.contains(t)).sorted()
        .forEach(t -> changes.add(new Change(t, true, scores.get(t))));
    return changes;
  }
}
