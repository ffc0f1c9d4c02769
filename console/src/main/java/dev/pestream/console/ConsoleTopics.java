package dev.pestream.console;

import java.util.List;

/** The topics the console follows (the job's outputs) and writes (the job's compacted control topics). */
public record ConsoleTopics(String embeddings, String spans, String alerts, String tags, String captions,
                            String alertRules, String tagVocabularies) {
  public ConsoleTopics {
    for (String t : List.of(embeddings, spans, alerts, tags, captions, alertRules, tagVocabularies)) {
      if (t == null || t.isBlank()) {
        throw new IllegalArgumentException("every console topic needs a name");
      }
    }
  }

  /** The topics whose records make up the timelines. */
  public List<String> timelineTopics() {
    return List.of(spans, alerts, tags, captions);
  }
}
