package dev.pestream.tests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for TLS tests, made with the JDK's {@code keytool} in a
 * folder: a self-signed CA, then key pairs whose certificates the CA signs (genkeypair, certreq,
 * gencert, importcert). Everything is PKCS12 with random passwords; passwords reach keytool
 * through its environment ({@code -storepass:env}), never its command line.
 */
public final class TestPki {
  /** A PKCS12 key or trust store and its password. */
  public record Store(Path path, String password) {
    @Override
    public String toString() {
      return "Store[" + path + "]"; // no password
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PASSWORD_VARIABLE = "PESTREAM_STORE_PASSWORD";
  private static final String CA_PASSWORD_VARIABLE = "PESTREAM_CA_PASSWORD";

  private final Path dir;
  private final String name;
  private final Store ca;
  private final Path caCertificate;
  private Store truststore;

  private TestPki(Path dir, String name, Store ca, Path caCertificate) {
    this.dir = dir;
    this.name = name;
    this.ca = ca;
    this.caCertificate = caCertificate;
  }

  /** A new CA with distinguished name {@code CN=<name>} in {@code dir}. */
  public static TestPki create(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Store ca = new Store(dir.resolve(name + "-ca.p12"), newPassword());
    Path certificate = dir.resolve(name + "-ca.pem");
    keytool(ca.password(), null, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", "bc:c", "-validity", "2",
        "-keystore", ca.path().toString(), "-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE);
    keytool(ca.password(), null, "-exportcert", "-rfc", "-alias", "ca", "-file", certificate.toString(),
        "-keystore", ca.path().toString(), "-storepass:env", PASSWORD_VARIABLE);
    return new TestPki(dir, name, ca, certificate);
  }

  /** A random password (hex of 16 random bytes). */
  public static String newPassword() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** A trust store holding this CA's certificate (made once). */
  public synchronized Store truststore() throws IOException {
    if (truststore == null) {
      Store store = new Store(dir.resolve(name + "-truststore.p12"), newPassword());
      keytool(store.password(), null, "-importcert", "-noprompt", "-alias", name + "-ca",
          "-file", caCertificate.toString(),
          "-keystore", store.path().toString(), "-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE);
      truststore = store;
    }
    return truststore;
  }

  /**
   * A key store with a new key pair for {@code CN=<commonName>}, its certificate signed by this
   * CA (valid for localhost and 127.0.0.1, for servers and clients) and the CA certificate.
   */
  public Store issue(String commonName) throws IOException {
    Store store = new Store(dir.resolve(name + "-" + commonName + ".p12"), newPassword());
    Path request = dir.resolve(name + "-" + commonName + ".csr");
    Path signed = dir.resolve(name + "-" + commonName + ".pem");
    String keystore = store.path().toString();
    keytool(store.password(), null, "-genkeypair", "-alias", commonName, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + commonName + ",OU=pestream-tests", "-validity", "2",
        "-keystore", keystore, "-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE);
    keytool(store.password(), null, "-certreq", "-alias", commonName, "-file", request.toString(),
        "-keystore", keystore, "-storepass:env", PASSWORD_VARIABLE);
    keytool(null, ca.password(), "-gencert", "-alias", "ca", "-rfc", "-validity", "2",
        "-infile", request.toString(), "-outfile", signed.toString(),
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-ext", "EKU=serverAuth,clientAuth",
        "-keystore", ca.path().toString(), "-storepass:env", CA_PASSWORD_VARIABLE);
    keytool(store.password(), null, "-importcert", "-noprompt", "-alias", name + "-ca",
        "-file", caCertificate.toString(), "-keystore", keystore, "-storepass:env", PASSWORD_VARIABLE);
    keytool(store.password(), null, "-importcert", "-alias", commonName, "-file", signed.toString(),
        "-keystore", keystore, "-storepass:env", PASSWORD_VARIABLE);
    return store;
  }

  private static void keytool(String storePassword, String caPassword, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    // keytool's own JVM: a short-lived process starts several times faster without the C2 compiler
    command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (storePassword != null) {
      builder.environment().put(PASSWORD_VARIABLE, storePassword);
    }
    if (caPassword != null) {
      builder.environment().put(CA_PASSWORD_VARIABLE, caPassword);
    }
    Process process = builder.start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("keytool " + args[0] + " timed out");
      }
      if (process.exitValue() != 0) {
        throw new IOException("keytool " + args[0] + " failed (" + process.exitValue() + "): " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while running keytool", e);
    }
  }
}
