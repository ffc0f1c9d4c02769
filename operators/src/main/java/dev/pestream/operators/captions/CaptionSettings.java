package dev.pestream.operators.captions;

import dev.pestream.connectors.plm.PlmCallPolicy;
import dev.pestream.connectors.plm.PlmServer;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Everything the caption stage needs, in four parts that each validate themselves: the PLM
 * {@link PlmServer server} (endpoint, model, API key, TLS), the {@link CaptionPrompts prompts}
 * (what is asked, max tokens, temperature), the {@link CaptionFrameSettings frames} (caption
 * window, frame interval, max frames, image size, JPEG quality) and the {@link PlmCallPolicy call
 * policy} (concurrency, requests per second, timeouts, retries, circuit breaker). Read from the
 * job options by {@link CaptionOptions#settings}; immutable and serializable. Secrets are held as
 * references (read on the task managers), so {@link #toString()} is safe to log.
 */
public record CaptionSettings(PlmServer server, CaptionPrompts prompts, CaptionFrameSettings frames,
    PlmCallPolicy calls) implements Serializable {
  public CaptionSettings {
    Objects.requireNonNull(server, "server");
    Objects.requireNonNull(prompts, "prompts");
    Objects.requireNonNull(frames, "frames");
    Objects.requireNonNull(calls, "calls");
  }

  public static Builder builder() {
    return new Builder(PlmServer.builder(), CaptionPrompts.builder(), CaptionFrameSettings.builder(),
        PlmCallPolicy.builder());
  }

  public Builder toBuilder() {
    return new Builder(server.toBuilder(), prompts.toBuilder(), frames.toBuilder(), calls.toBuilder());
  }

  /** Flink's Async I/O timeout: a backstop behind the caption deadline the stage enforces itself. */
  public Duration asyncTimeout() {
    return calls.captionTimeout().plus(calls.requestTimeout()).plusSeconds(5);
  }

  /**
   * Builds {@link CaptionSettings} part by part, e.g.
   * {@code builder().server(s -> s.endpoint(url).model(name)).calls(c -> c.maxAttempts(3)).build()};
   * {@link #build()} validates every part. The server's endpoint and model are required.
   */
  public static final class Builder {
    private final PlmServer.Builder server;
    private final CaptionPrompts.Builder prompts;
    private final CaptionFrameSettings.Builder frames;
    private final PlmCallPolicy.Builder calls;

    private Builder(PlmServer.Builder server, CaptionPrompts.Builder prompts, CaptionFrameSettings.Builder frames,
        PlmCallPolicy.Builder calls) {
      this.server = server;
      this.prompts = prompts;
      this.frames = frames;
      this.calls = calls;
    }

    public Builder server(Consumer<PlmServer.Builder> change) {
      change.accept(server);
      return this;
    }

    public Builder prompts(Consumer<CaptionPrompts.Builder> change) {
      change.accept(prompts);
      return this;
    }

    public Builder frames(Consumer<CaptionFrameSettings.Builder> change) {
      change.accept(frames);
      return this;
    }

    public Builder calls(Consumer<PlmCallPolicy.Builder> change) {
      change.accept(calls);
      return this;
    }

    public CaptionSettings build() {
      return new CaptionSettings(server.build(), prompts.build(), frames.build(), calls.build());
    }
  }
}
