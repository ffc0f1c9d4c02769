package dev.pestream.console;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The console's counters (names in {@link ConsoleMetricNames}). */
public final class ConsoleCounters {
  final AtomicLong embeddingsIndexed = new AtomicLong();
  final AtomicLong embeddingsSkipped = new AtomicLong();
  final AtomicLong timelineRecords = new AtomicLong();
  final AtomicLong timelineRecordsSkipped = new AtomicLong();
  final AtomicLong followerRestarts = new AtomicLong();

  public Map<String, Long> snapshot() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put(ConsoleMetricNames.EMBEDDINGS_INDEXED, embeddingsIndexed.get());
    m.put(ConsoleMetricNames.EMBEDDINGS_SKIPPED, embeddingsSkipped.get());
    m.put(ConsoleMetricNames.TIMELINE_RECORDS, timelineRecords.get());
    m.put(ConsoleMetricNames.TIMELINE_RECORDS_SKIPPED, timelineRecordsSkipped.get());
    m.put(ConsoleMetricNames.FOLLOWER_RESTARTS, followerRestarts.get());
    return m;
  }
}
