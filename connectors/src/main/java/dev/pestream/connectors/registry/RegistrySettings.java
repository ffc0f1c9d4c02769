package dev.pestream.connectors.registry;

import dev.pestream.connectors.plm.SecretSource;
import dev.pestream.connectors.plm.TlsSettings;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.apache.flink.configuration.ReadableConfig;

/**
 * Where the schema registry is and how to talk to it. Only secret references travel with the job;
 * secrets are read where the client is built. Validated on construction.
 */
public record RegistrySettings(
    URI url,
    SecretSource basicAuth,
    SecretSource bearerToken,
    TlsSettings tls,
    SubjectNaming subjectNaming,
    boolean autoRegister,
    Duration timeout) implements Serializable {

  public RegistrySettings {
    if (url == null || url.getScheme() == null
        || !(url.getScheme().equals("http") || url.getScheme().equals("https")) || url.getHost() == null) {
      throw new IllegalArgumentException(
          RecordFormatOptions.REGISTRY_URL.key() + " must be an http:// or https:// URL, got " + url);
    }
    basicAuth = basicAuth == null ? SecretSource.none() : basicAuth;
    bearerToken = bearerToken == null ? SecretSource.none() : bearerToken;
    if (basicAuth.isPresent() && bearerToken.isPresent()) {
      throw new IllegalArgumentException("set either " + RecordFormatOptions.REGISTRY_BASIC_AUTH.key() + " or "
          + RecordFormatOptions.REGISTRY_BEARER_TOKEN.key() + ", not both");
    }
    tls = tls == null ? TlsSettings.systemDefault() : tls;
    subjectNaming = subjectNaming == null ? SubjectNaming.TOPIC_NAME : subjectNaming;
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(RecordFormatOptions.REGISTRY_TIMEOUT.key() + " must be positive");
    }
  }

  /** A registry at {@code url} with the defaults: no auth, JVM trust, topic-name subjects, auto-registration. */
  public static RegistrySettings of(String url) {
    return new RegistrySettings(parseUrl(url), null, null, null, null, true,
        RecordFormatOptions.REGISTRY_TIMEOUT.defaultValue());
  }

  /** The registry configured by the {@code records.registry.*} options, if a URL is set. */
  public static Optional<RegistrySettings> from(ReadableConfig config) {
    return config.getOptional(RecordFormatOptions.REGISTRY_URL).filter(u -> !u.isBlank()).map(url ->
        new RegistrySettings(
            parseUrl(url),
            SecretSource.parse(config.getOptional(RecordFormatOptions.REGISTRY_BASIC_AUTH).orElse(null)),
            SecretSource.parse(config.getOptional(RecordFormatOptions.REGISTRY_BEARER_TOKEN).orElse(null)),
            new TlsSettings(config.getOptional(RecordFormatOptions.REGISTRY_TRUST_STORE).orElse(null),
                config.get(RecordFormatOptions.REGISTRY_TRUST_STORE_TYPE),
                SecretSource.parse(config.getOptional(RecordFormatOptions.REGISTRY_TRUST_STORE_PASSWORD).orElse(null))),
            SubjectNaming.parse(config.get(RecordFormatOptions.SUBJECT_NAMING)),
            config.get(RecordFormatOptions.AUTO_REGISTER),
            config.get(RecordFormatOptions.REGISTRY_TIMEOUT)));
  }

  public RegistrySettings withSubjectNaming(SubjectNaming naming) {
    return new RegistrySettings(url, basicAuth, bearerToken, tls, naming, autoRegister, timeout);
  }

  public RegistrySettings withAutoRegister(boolean register) {
    return new RegistrySettings(url, basicAuth, bearerToken, tls, subjectNaming, register, timeout);
  }

  public RegistrySettings withBasicAuth(SecretSource userInfo) {
    return new RegistrySettings(url, userInfo, bearerToken, tls, subjectNaming, autoRegister, timeout);
  }

  private static URI parseUrl(String url) {
    try {
      String trimmed = url.trim();
      return URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(RecordFormatOptions.REGISTRY_URL.key() + " is not a URL: " + url);
    }
  }
}
