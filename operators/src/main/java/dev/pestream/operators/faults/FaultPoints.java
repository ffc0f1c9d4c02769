package dev.pestream.operators.faults;

import java.io.Serializable;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where {@link InjectFaults} makes the job fail: chunks named {@code streamId:seq} (the stream id
 * may itself hold colons: the sequence number follows the last one), and the directory where each
 * fault records that it fired.
 */
public record FaultPoints(Set<String> chunkIds, String markerDir) implements Serializable {
  public FaultPoints {
    chunkIds = Set.copyOf(chunkIds);
    if (chunkIds.isEmpty()) {
      throw new IllegalArgumentException("no fault points given");
    }
    if (markerDir == null || markerDir.isBlank()) {
      throw new IllegalArgumentException("a fault marker directory is required");
    }
  }

  /** Parses {@code streamId:seq} entries. */
  public static FaultPoints parse(List<String> points, String markerDir) {
    Set<String> ids = new LinkedHashSet<>();
    for (String raw : points) {
      String point = raw.trim();
      int colon = point.lastIndexOf(':');
      if (colon <= 0 || colon == point.length() - 1) {
        throw new IllegalArgumentException("fault point '" + raw + "' is not streamId:seq");
      }
      long seq;
      try {
        seq = Long.parseLong(point.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("fault point '" + raw + "' has no numeric sequence number", e);
      }
      ids.add(chunkId(point.substring(0, colon), seq));
    }
    return new FaultPoints(ids, markerDir);
  }

  /** The id of chunk {@code seq} of stream {@code streamId}, as fault points name it. */
  public static String chunkId(String streamId, long seq) {
    return streamId + ":" + seq;
  }

  public boolean contains(String streamId, long seq) {
    return chunkIds.contains(chunkId(streamId, seq));
  }

  /** File name of the marker of one fault point (stream ids may hold any character). */
  public static String markerName(String streamId, long seq) {
    return "fault-" + URLEncoder.encode(streamId, StandardCharsets.UTF_8) + "-" + seq;
  }
}
