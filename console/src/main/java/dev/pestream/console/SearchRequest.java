package dev.pestream.console;

import dev.pestream.operators.alerts.ControlRecords;
import dev.pestream.schemas.Modality;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A checked {@code GET /api/search} request. Every problem is a {@link BadRequest} that says what
 * to change.
 *
 * @param head the bundle head that scores the modality ({@code audio}, {@code video}, {@code audio_video})
 */
public record SearchRequest(String query, Modality modality, String head, int k, String streamGlob, Long fromUs, Long toUs) {
  public static final int DEFAULT_K = 10;

  /**
   * Reads a request from query parameters ({@code param} returns null for a missing one);
   * {@code heads} are the heads the bundle has a text embedding for.
   */
  public static SearchRequest parse(UnaryOperator<String> param, Set<String> heads) {
    String q = param.apply("q");
    if (q == null || q.isBlank()) {
      throw new BadRequest("q is empty: pass the text to search for, e.g. q=glass%20breaking");
    }
    if (q.length() > ConsoleOptions.MAX_QUERY_CHARS) {
      throw new BadRequest("q has " + q.length() + " characters: shorten it to at most " + ConsoleOptions.MAX_QUERY_CHARS);
    }
    String m = param.apply("modality");
    String head = m == null ? "audio_video" : m.strip().toLowerCase(Locale.ROOT);
    Modality modality = switch (head) {
      case "audio" -> Modality.AUDIO;
      case "video" -> Modality.VIDEO;
      case "audio_video" -> Modality.AUDIO_VIDEO;
      default -> throw new BadRequest("modality '" + m + "' is unknown: use audio, video or audio_video");
    };
    if (!heads.contains(head)) {
      throw new BadRequest("the model bundle has no text head for modality " + head + ": use one of " + heads);
    }
    int k = integer(param, "k", DEFAULT_K);
    if (k < 1 || k > ConsoleOptions.MAX_K) {
      throw new BadRequest("k=" + k + " is out of range: use 1 to " + ConsoleOptions.MAX_K);
    }
    String glob = param.apply("stream");
    if (glob != null && (glob.isBlank() || glob.length() > ControlRecords.MAX_SELECTOR_CHARS)) {
      throw new BadRequest("stream must be a glob of 1 to " + ControlRecords.MAX_SELECTOR_CHARS
          + " characters (* any characters, ? one), e.g. stream=cam-*");
    }
    Long from = optionalLong(param, "fromUs");
    Long to = optionalLong(param, "toUs");
    if (from != null && to != null && from > to) {
      throw new BadRequest("fromUs is after toUs: swap them");
    }
    return new SearchRequest(q.strip(), modality, head, k, glob, from, to);
  }

  static int integer(UnaryOperator<String> param, String name, int fallback) {
    Long v = optionalLong(param, name);
    if (v == null) {
      return fallback;
    }
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new BadRequest(name + "=" + v + " is out of range");
    }
    return v.intValue();
  }

  /** A whole number parameter, or null when absent. */
  public static Long optionalLong(UnaryOperator<String> param, String name) {
    String v = param.apply(name);
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw new BadRequest(name + "='" + v + "' is not a whole number");
    }
  }
}
