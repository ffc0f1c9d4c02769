package dev.pestream.connectors.plm;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Which certificates the caption client trusts on an https endpoint: the JVM's default trust
 * store, or a trust store file (PKCS12 or JKS) with the server's CA. Host names are always
 * verified; there is deliberately no "trust everything" switch.
 *
 * @param trustStore path of the trust store on the task managers; null = the JVM default
 * @param trustStoreType {@code PKCS12} or {@code JKS}
 * @param trustStorePassword where its password comes from ({@link SecretSource#none()} = none)
 */
public record TlsSettings(String trustStore, String trustStoreType, SecretSource trustStorePassword)
    implements Serializable {
  public static final String DEFAULT_TYPE = "PKCS12";

  public TlsSettings {
    if (trustStore != null && trustStore.isBlank()) {
      trustStore = null;
    }
    trustStoreType = trustStoreType == null || trustStoreType.isBlank() ? DEFAULT_TYPE : trustStoreType.trim();
    trustStorePassword = trustStorePassword == null ? SecretSource.none() : trustStorePassword;
  }

  /** Trust what the JVM trusts. */
  public static TlsSettings systemDefault() {
    return new TlsSettings(null, DEFAULT_TYPE, SecretSource.none());
  }

  public static TlsSettings trustStore(Path path, String type, SecretSource password) {
    return new TlsSettings(path.toString(), type, password);
  }

  public boolean usesSystemDefault() {
    return trustStore == null;
  }

  /** The SSL context for the HTTP client (reads the trust store and its password now). */
  public SSLContext sslContext() {
    try {
      if (usesSystemDefault()) {
        return SSLContext.getDefault();
      }
      KeyStore store = KeyStore.getInstance(trustStoreType);
      char[] password = trustStorePassword.resolve().map(String::toCharArray).orElse(null);
      try (InputStream in = Files.newInputStream(Path.of(trustStore))) {
        store.load(in, password);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the trust store " + trustStore + " (" + trustStoreType + "): "
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
    }
  }

  @Override
  public String toString() {
    return usesSystemDefault()
        ? "system default trust"
        : "trust store " + trustStore + " (" + trustStoreType + ", password " + trustStorePassword + ")";
  }
}
