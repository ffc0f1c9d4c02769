package dev.pestream.connectors.plm;

import java.io.Serializable;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * Which PLM server is called and as whom: an OpenAI-compatible endpoint, the model name sent with
 * every request, where the API key is read and which certificates are trusted. Validated on
 * construction. The key is held as a {@link SecretSource} (read on the task managers), so
 * {@link #toString()} is safe to log.
 *
 * @param endpoint base URL of the server, e.g. {@code http://plm-host:8000}
 * @param model e.g. {@code facebook/Perception-LM-1B}
 */
public record PlmServer(URI endpoint, String model, SecretSource apiKey, TlsSettings tls) implements Serializable {
  public PlmServer {
    if (endpoint == null) {
      throw new IllegalArgumentException("captions need the PLM server endpoint URL");
    }
    String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || endpoint.getHost() == null) {
      throw new IllegalArgumentException("the PLM endpoint must be an http(s) URL with a host, got " + endpoint);
    }
    if (endpoint.getUserInfo() != null || endpoint.getQuery() != null || endpoint.getFragment() != null) {
      throw new IllegalArgumentException(
          "the PLM endpoint must not carry user info, a query or a fragment (give the API key as env: or file:)");
    }
    SettingChecks.requireText(model, "model name");
    Objects.requireNonNull(apiKey, "apiKey (use SecretSource.none())");
    Objects.requireNonNull(tls, "tls (use TlsSettings.systemDefault())");
    if (!tls.usesSystemDefault() && !scheme.equals("https")) {
      throw new IllegalArgumentException("a trust store is configured but the endpoint is not https: " + endpoint);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().endpoint(endpoint.toString()).model(model).apiKey(apiKey).tls(tls);
  }

  /**
   * The chat-completions URL: the endpoint itself when it already ends in
   * {@code /chat/completions}, {@code <endpoint>/chat/completions} when it ends in {@code /v1}
   * (an OpenAI-style base URL), else {@code <endpoint>/v1/chat/completions}.
   */
  public URI chatCompletionsUrl() {
    String s = endpoint.toString().replaceAll("/+$", "");
    if (s.endsWith("/chat/completions")) {
      return URI.create(s);
    }
    if (s.endsWith("/v1")) {
      return URI.create(s + "/chat/completions");
    }
    return URI.create(s + "/v1/chat/completions");
  }

  /** Builds a {@link PlmServer}; endpoint and model are required, no API key and the JVM's trust by default. */
  public static final class Builder {
    private URI endpoint;
    private String model;
    private SecretSource apiKey = SecretSource.none();
    private TlsSettings tls = TlsSettings.systemDefault();

    private Builder() {}

    public Builder endpoint(String url) {
      this.endpoint = url == null ? null : URI.create(url.trim());
      return this;
    }

    public Builder model(String model) {
      this.model = model;
      return this;
    }

    public Builder apiKey(SecretSource apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    public Builder tls(TlsSettings tls) {
      this.tls = tls;
      return this;
    }

    public PlmServer build() {
      return new PlmServer(endpoint, model, apiKey, tls);
    }
  }
}
