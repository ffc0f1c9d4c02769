package dev.pestream.testing.kafka;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Security settings of an {@link EmbeddedKafkaBroker}: the secured {@link Listener}s it can get
 * besides PLAINTEXT (TLS with client certificates, SASL/SCRAM over TLS or plaintext), their
 * {@link Tls} material, and the {@link ScramUser}s created when the storage is formatted. Kept
 * apart from the broker's process handling; the toString methods never print passwords.
 */
public final class BrokerSecurity {
  private BrokerSecurity() {}

  /**
   * Key and trust material of a TLS listener: PKCS12 stores with the broker's key and the CA
   * certificates it trusts (for client certificates).
   */
  public record Tls(Path keystore, String keystorePassword, Path truststore, String truststorePassword) {
    public Tls {
      if (keystore == null || keystorePassword == null || truststore == null || truststorePassword == null) {
        throw new IllegalArgumentException("TLS needs a keystore and a truststore with their passwords");
      }
    }

    Map<String, String> settings() {
      Map<String, String> s = new LinkedHashMap<>();
      s.put("ssl.keystore.type", "PKCS12");
      s.put("ssl.keystore.location", keystore.toString());
      s.put("ssl.keystore.password", keystorePassword);
      s.put("ssl.key.password", keystorePassword);
      s.put("ssl.truststore.type", "PKCS12");
      s.put("ssl.truststore.location", truststore.toString());
      s.put("ssl.truststore.password", truststorePassword);
      return s;
    }

    @Override
    public String toString() {
      return "Tls[keystore=" + keystore + ", truststore=" + truststore + "]"; // no passwords
    }
  }

  /**
   * A listener besides PLAINTEXT: its name (upper case), Kafka security protocol and the
   * settings that apply to it alone (written as {@code listener.name.<name>.<key>}).
   */
  public record Listener(String name, String securityProtocol, Map<String, String> settings) {
    private static final Set<String> SCRAM_MECHANISMS = Set.of("SCRAM-SHA-256", "SCRAM-SHA-512");

    public Listener {
      if (name == null || !name.matches("[A-Z][A-Z0-9_]*")) {
        throw new IllegalArgumentException("listener names are upper-case words, got " + name);
      }
      if (!Set.of("SSL", "SASL_SSL", "SASL_PLAINTEXT").contains(securityProtocol)) {
        throw new IllegalArgumentException("security protocol must be SSL, SASL_SSL or SASL_PLAINTEXT, got "
            + securityProtocol);
      }
      settings = Map.copyOf(settings);
    }

    /**
     * TLS that requires a client certificate signed by a CA in {@code tls}'s truststore; the
     * principal is the certificate's CN ({@code User:<CN>}).
     */
    public static Listener mutualTls(String name, Tls tls) {
      Map<String, String> s = tls.settings();
      s.put("ssl.client.auth", "required");
      s.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)(,.*)?$/$1/,DEFAULT");
      return new Listener(name, "SSL", s);
    }

    /**
     * SASL/SCRAM with {@code mechanism} (SCRAM-SHA-256 or -512), over TLS when {@code tls} is
     * given (no client certificates), else over plaintext. The principal is {@code User:<name>}.
     */
    public static Listener scram(String name, String mechanism, Tls tls) {
      if (!SCRAM_MECHANISMS.contains(mechanism)) {
        throw new IllegalArgumentException("SCRAM mechanism must be one of " + SCRAM_MECHANISMS + ", got " + mechanism);
      }
      Map<String, String> s = tls == null ? new LinkedHashMap<>() : tls.settings();
      s.put("sasl.enabled.mechanisms", mechanism);
      s.put(mechanism.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      return new Listener(name, tls == null ? "SASL_PLAINTEXT" : "SASL_SSL", s);
    }

    @Override
    public String toString() {
      return "Listener[" + name + ", " + securityProtocol + "]"; // settings hold passwords
    }
  }

  /** A SCRAM credential created at format time. */
  public record ScramUser(String mechanism, String name, String password) {
    public ScramUser {
      if (!Listener.SCRAM_MECHANISMS.contains(mechanism)) {
        throw new IllegalArgumentException("SCRAM mechanism must be one of " + Listener.SCRAM_MECHANISMS);
      }
      if (name == null || !name.matches("[A-Za-z0-9._-]+") || password == null || password.isEmpty()
          || password.contains("]") || password.contains(",")) {
        throw new IllegalArgumentException(
            "SCRAM users need a simple name and a password without ']' or ',' (format-time syntax)");
      }
    }

    /** The value of {@code kafka-storage format --add-scram} that creates this user. */
    String formatArgument() {
      return mechanism + "=[name=" + name + ",password=" + password + "]";
    }

    @Override
    public String toString() {
      return "ScramUser[" + mechanism + ", " + name + "]";
    }
  }
}
