package dev.pestream.console;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Every setting of the console, with its default and meaning ({@code pestream console --help} shows the same). */
public final class ConsoleOptions {
  private ConsoleOptions() {}

  public static final ConfigOption<String> BIND =
      ConfigOptions.key("console.bind").stringType().defaultValue("127.0.0.1")
          .withDescription("Address the HTTP server listens on. 127.0.0.1 keeps the console on this machine;"
              + " 0.0.0.0 opens it to the network (then set console.token).");
  public static final ConfigOption<Integer> PORT =
      ConfigOptions.key("console.port").intType().defaultValue(8090)
          .withDescription("HTTP port of the page and the API (0 = any free port).");
  public static final ConfigOption<String> INDEX_DIR =
      ConfigOptions.key("console.index-dir").stringType().noDefaultValue()
          .withDescription("Folder of the on-disk Lucene vector index; it remembers the Kafka offsets it covers,"
              + " so a restart resumes there. Deleted, it is rebuilt from the topics. Default: a temp folder.");
  public static final ConfigOption<Duration> TIMELINE_HORIZON =
      ConfigOptions.key("console.timeline-horizon").durationType().defaultValue(Duration.ofHours(24))
          .withDescription("How far back (Kafka record time) spans, alerts, tags and captions are kept in memory"
              + " and read again at start-up.");
  public static final ConfigOption<String> TOKEN =
      ConfigOptions.key("console.token").stringType().noDefaultValue()
          .withDescription("Optional bearer token every /api request must carry, as a reference: env:NAME (an"
              + " environment variable) or file:PATH (the file's first line). Never logged.");
  public static final ConfigOption<Duration> COMMIT_INTERVAL =
      ConfigOptions.key("console.index-commit-interval").durationType().defaultValue(Duration.ofSeconds(1))
          .withDescription("How often the index commits (with the offsets it covers); new windows are searchable"
              + " at once, a crash re-reads at most this much from Kafka.");

  /** Largest k of a search. */
  public static final int MAX_K = 1_000;
  /** Longest query text accepted (the text towers truncate at 512 tokens anyway). */
  public static final int MAX_QUERY_CHARS = 1_000;
}
