package dev.pestream.console;

import io.javalin.Javalin;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side (Javalin on Jetty): the page (static files from the jar), the JSON API, server-sent
 * events, and the optional bearer token on /api. No request logging: query texts and tokens stay
 * out of logs.
 */
public final class ConsoleServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
  /** Where the page's files live on the class path. */
  static final String WEB_ROOT = "/dev/pestream/console/web";
  /** EventSource cannot send headers: the page passes the token on /api/events as this query parameter. */
  static final String TOKEN_PARAM = "access_token";

  private final Javalin app;
  private final EventHub events;
  private final String host;

  private ConsoleServer(Javalin app, EventHub events, String host) {
    this.app = app;
    this.events = events;
    this.host = host;
  }

  public static ConsoleServer start(ConsoleSettings settings, ConsoleApi api, EventHub events) {
    BearerToken token = settings.token();
    Javalin app = Javalin.create(config -> {
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      config.jetty.host = settings.bind();
      config.jetty.port = settings.port();
      config.staticFiles.add(files -> {
        files.hostedPath = "/";
        files.directory = WEB_ROOT;
        files.location = Location.CLASSPATH;
        files.headers = Map.of("Cache-Control", "no-cache", "X-Content-Type-Options", "nosniff",
            "Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
      });
      var routes = config.routes;
      routes.before("/api/*", ctx -> {
        if (token != null && !token.accepts(ctx.header("Authorization"))
            && !token.accepts(bearer(ctx.queryParam(TOKEN_PARAM)))) {
          ctx.header("WWW-Authenticate", "Bearer");
          ctx.status(HttpStatus.UNAUTHORIZED).json(Map.of("error", "this console needs a bearer token:"
              + " send Authorization: Bearer <token> (the page asks for it)"));
          ctx.skipRemainingHandlers();
        }
      });
      routes.get("/api/streams", api::streams);
      routes.get("/api/streams/{streamId}/timeline", api::timeline);
      routes.get("/api/search", api::search);
      routes.get("/api/status", api::status);
      routes.get("/api/rules", api::rules);
      routes.put("/api/rules/{ruleId}", api::putRule);
      routes.delete("/api/rules/{ruleId}", api::deleteRule);
      routes.get("/api/vocabularies", api::vocabularies);
      routes.put("/api/vocabularies/{vocabularyId}", api::putVocabulary);
      routes.delete("/api/vocabularies/{vocabularyId}", api::deleteVocabulary);
      routes.sse("/api/events", events::join);
      routes.exception(BadRequest.class, (e, ctx) -> ctx.status(HttpStatus.BAD_REQUEST).json(Map.of("error", e.getMessage())));
      routes.exception(IllegalStateException.class, (e, ctx) -> {
        LOG.warn("request failed: {}", e.getMessage());
        ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("error", e.getMessage()));
      });
    });
    app.start();
    return new ConsoleServer(app, events, settings.bind());
  }

  private static String bearer(String token) {
    return token == null ? null : "Bearer " + token;
  }

  public int port() {
    return app.port();
  }

  /** The page's address; a wildcard bind is shown as 127.0.0.1. */
  public String url() {
    String shown = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port() + "/";
  }

  @Override
  public void close() {
    events.closeAll();
    app.stop();
  }
}
