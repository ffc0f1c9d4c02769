package dev.pestream.tests.support;

import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.TagEvent;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What the job wrote to one output, held against what it should have written, record by record
 * (by key): lost, duplicated and unexpected keys.
 */
public record OutputTally(String output, int expected, int written, Set<String> lost, Map<String, Long> duplicated,
    Set<String> unexpected) {

  public static <T> OutputTally of(String output, Set<String> expected, Collection<T> written, Function<T, String> key) {
    Map<String, Long> counts = written.stream().collect(Collectors.groupingBy(key, TreeMap::new, Collectors.counting()));
    Set<String> lost = expected.stream().filter(k -> !counts.containsKey(k)).collect(Collectors.toCollection(TreeSet::new));
    Map<String, Long> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    Set<String> unexpected = counts.keySet().stream().filter(k -> !expected.contains(k))
        .collect(Collectors.toCollection(TreeSet::new));
    return new OutputTally(output, expected.size(), written.size(), lost, duplicated, unexpected);
  }

  /** Every expected record once, nothing else. */
  public boolean exactlyOnce() {
    return lost.isEmpty() && duplicated.isEmpty() && unexpected.isEmpty() && written == expected;
  }

  /** Every expected record at least once, repeats allowed, nothing else. */
  public boolean atLeastOnce() {
    return lost.isEmpty() && unexpected.isEmpty();
  }

  /** Records written more than once, counted once per extra copy. */
  public long repeats() {
    return duplicated.values().stream().mapToLong(n -> n - 1).sum();
  }

  @Override
  public String toString() {
    return output + ": expected " + expected + ", written " + written + ", lost " + lost.size() + ", duplicated "
        + duplicated.size() + ", unexpected " + unexpected.size()
        + (lost.isEmpty() ? "" : " (lost e.g. " + first(lost) + ")")
        + (duplicated.isEmpty() ? "" : " (duplicated e.g. " + first(duplicated.keySet()) + ")")
        + (unexpected.isEmpty() ? "" : " (unexpected e.g. " + first(unexpected) + ")");
  }

  private static String first(Collection<String> keys) {
    return keys.stream().limit(5).collect(Collectors.joining(", "));
  }

  // --- keys of the job's records ----------------------------------------------------------------

  public static String key(Embedding e) {
    return e.getStreamId() + "/" + e.getModality() + "/" + e.getWindowStartUs();
  }

  public static String key(EventSpan s) {
    return s.getStreamId() + "/" + s.getPromptId() + "/" + s.getStartUs() + "/" + s.getState();
  }

  public static String key(TagEvent t) {
    return t.getStreamId() + "/" + t.getTag() + "/" + t.getAction();
  }

  public static String key(Caption c) {
    return c.getStreamId() + "/" + c.getWindowStartUs();
  }

  public static String key(Alert a) {
    return a.getAlertId();
  }
}
