package dev.pestream.tests.console;

import dev.pestream.console.ConsoleTopics;
import java.util.Map;

/** The console's topics from a test's job topics ({@code KafkaTestClient.newJobTopics}, keyed by setting). */
public final class JobTopicsForConsole {
  private JobTopicsForConsole() {}

  public static ConsoleTopics of(Map<String, String> t) {
    return new ConsoleTopics(t.get("topics.embeddings"), t.get("topics.spans"), t.get("topics.alerts"), t.get("topics.tags"),
        t.get("topics.captions"), t.get("topics.alert-rules"), t.get("topics.tag-vocabularies"));
  }
}
