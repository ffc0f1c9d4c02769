package dev.pestream.console;

import dev.pestream.models.Models;
import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.ModelBundle;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live console: follows the job's output topics into in-memory timelines and an on-disk vector
 * index, and serves the page and the JSON API (docs/console.md). {@link #start} returns once it
 * serves; {@link #close} stops everything it started.
 *
 * <pre>{@code
 * try (Console console = Console.start(ConsoleSettings.builder().bootstrapServers("localhost:9092")
 *     .topics(topics).bundleDir(bundle).indexDir(indexDir).port(0).build())) {
 *   System.out.println(console.url());
 * }
 * }</pre>
 */
public final class Console implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Console.class);

  private final Models models;
  private final EmbeddingIndex index;
  private final ControlTopicClient control;
  private final Followers followers;
  private final ConsoleServer server;

  private Console(Models models, EmbeddingIndex index, ControlTopicClient control, Followers followers,
                  ConsoleServer server) {
    this.models = models;
    this.index = index;
    this.control = control;
    this.followers = followers;
    this.server = server;
  }

  public static Console start(ConsoleSettings settings) {
    BundleManifest manifest = ModelBundle.readManifest(settings.bundleDir()); // Models.open validates the files
    Set<String> heads = Search.searchableHeads(manifest.heads().keySet());
    Set<String> textGraphs = new LinkedHashSet<>();
    heads.forEach(h -> textGraphs.add(manifest.head(h).graph()));
    Models models = null;
    EmbeddingIndex index = null;
    ControlTopicClient control = null;
    Followers followers = null;
    try {
      models = Models.open(settings.bundleDir(), settings.runtime().toBuilder().graphs(textGraphs).build());
      index = EmbeddingIndex.open(settings.indexDir(), manifest.modelId());
      ConsoleCounters counters = new ConsoleCounters();
      Timelines timelines = new Timelines();
      timelines.seedFromIndex(index.indexedStreams());
      EventHub events = new EventHub();
      control = new ControlTopicClient(settings.kafkaClient(), settings.topics().alertRules(),
          settings.topics().tagVocabularies(), settings.recordFormat());
      followers = new Followers(settings.kafkaClient(), settings.topics(), index,
          new EmbeddingCheck(manifest.modelId(), manifest.embeddingDim()), timelines, events, counters,
          settings.horizon(), settings.commitInterval(), settings.recordFormat());
      followers.start();
      Search search = new Search(models.text(), index, heads);
      ConsoleServer server = ConsoleServer.start(settings, new ConsoleApi(timelines, search, control, index, counters,
          events, manifest), events);
      LOG.info("console serving {} (model {}, index {}, {})", server.url(), manifest.modelId(), settings.indexDir(),
          settings.token() == null ? "no token" : settings.token());
      return new Console(models, index, control, followers, server);
    } catch (RuntimeException e) {
      closeQuietly(followers);
      closeQuietly(control);
      closeQuietly(index);
      closeQuietly(models);
      throw e;
    }
  }

  /** The page's address, e.g. {@code http://127.0.0.1:8090/}. */
  public String url() {
    return server.url();
  }


  @Override
  public void close() {
    closeQuietly(server);
    closeQuietly(followers);
    closeQuietly(control);
    closeQuietly(index);
    closeQuietly(models);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}
