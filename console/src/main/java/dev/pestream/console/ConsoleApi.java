package dev.pestream.console;

import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.TagVocabulary;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The JSON API's handlers (docs/console.md lists every endpoint with its shapes). */
public final class ConsoleApi {
  private final Timelines timelines;
  private final Search search;
  private final ControlTopicClient control;
  private final EmbeddingIndex index;
  private final ConsoleCounters counters;
  private final EventHub events;
  private final BundleManifest manifest;

  public ConsoleApi(Timelines timelines, Search search, ControlTopicClient control, EmbeddingIndex index,
                    ConsoleCounters counters, EventHub events, BundleManifest manifest) {
    this.timelines = timelines;
    this.search = search;
    this.control = control;
    this.index = index;
    this.counters = counters;
    this.events = events;
    this.manifest = manifest;
  }

  /** {@code GET /api/streams[?stream=GLOB]}. */
  public void streams(Context ctx) {
    ctx.json(Map.of("streams", timelines.streams(ctx.queryParam("stream"))));
  }

  /** {@code GET /api/streams/{streamId}/timeline[?fromUs=&toUs=]}. */
  public void timeline(Context ctx) {
    Long from = SearchRequest.optionalLong(ctx::queryParam, "fromUs");
    Long to = SearchRequest.optionalLong(ctx::queryParam, "toUs");
    Timelines.Timeline timeline = timelines.timeline(ctx.pathParam("streamId"), from, to);
    if (timeline == null) {
      ctx.status(HttpStatus.NOT_FOUND).json(Map.of("error", "no results for stream '" + ctx.pathParam("streamId")
          + "' within the console's horizon: GET /api/streams lists the streams it knows"));
      return;
    }
    ctx.json(timeline);
  }

  /** {@code GET /api/search?q=&modality=&k=[&stream=][&fromUs=&toUs=]}. */
  public void search(Context ctx) {
    SearchRequest request = SearchRequest.parse(ctx::queryParam, search.heads());
    ctx.json(Map.of("results", search.run(request)));
  }

  /** {@code GET /api/status}: the bundle, the index and the counters. */
  public void status(Context ctx) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("modelId", manifest.modelId());
    status.put("contractBundle", manifest.contract());
    status.put("searchModalities", search.heads());
    Map<String, Integer> indexed = new LinkedHashMap<>();
    index.counts().forEach((m, n) -> indexed.put(m.name().toLowerCase(Locale.ROOT), n));
    status.put("indexed", indexed);
    status.put("counters", counters.snapshot());
    status.put("eventConnections", events.connections());
    ctx.json(status);
  }

  public void rules(Context ctx) {
    ctx.json(Map.of("rules", control.rules().stream().map(ControlRequests::describe).toList()));
  }

  public void putRule(Context ctx) {
    AlertRule rule = ControlRequests.rule(ctx.pathParam("ruleId"), ctx.body());
    control.put(rule);
    ctx.json(ControlRequests.describe(rule));
  }

  public void deleteRule(Context ctx) {
    String id = ControlRequests.id(ctx.pathParam("ruleId"), "rule");
    deleted(ctx, control.deleteRule(id), "rule", id);
  }

  public void vocabularies(Context ctx) {
    ctx.json(Map.of("vocabularies", control.vocabularies().stream().map(ControlRequests::describe).toList()));
  }

  public void putVocabulary(Context ctx) {
    TagVocabulary vocabulary = ControlRequests.vocabulary(ctx.pathParam("vocabularyId"), ctx.body());
    control.put(vocabulary);
    ctx.json(ControlRequests.describe(vocabulary));
  }

  public void deleteVocabulary(Context ctx) {
    String id = ControlRequests.id(ctx.pathParam("vocabularyId"), "vocabulary");
    deleted(ctx, control.deleteVocabulary(id), "vocabulary", id);
  }

  private static void deleted(Context ctx, boolean existed, String what, String id) {
    if (existed) {
      ctx.status(HttpStatus.NO_CONTENT);
    } else {
      ctx.status(HttpStatus.NOT_FOUND).json(Map.of("error", "there is no " + what + " '" + id + "'"));
    }
  }
}
