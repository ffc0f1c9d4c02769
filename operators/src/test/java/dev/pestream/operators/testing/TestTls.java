package dev.pestream.operators.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed certificate for {@code localhost} made with the JDK's keytool: the server's key
 * store and a client trust store holding only that certificate.
 */
public record TestTls(Path serverKeyStore, String serverPassword, Path trustStore, String trustStorePassword) {

  public static TestTls create(Path dir) throws IOException, InterruptedException, GeneralSecurityException {
    Path server = dir.resolve("server.p12");
    Path cert = dir.resolve("server.pem");
    Path trust = dir.resolve("trust.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    run(List.of(keytool, "-genkeypair", "-alias", "plm", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", server.toString(),
        "-storetype", "PKCS12", "-storepass", "server-pass"));
    run(List.of(keytool, "-exportcert", "-rfc", "-alias", "plm", "-keystore", server.toString(), "-storepass",
        "server-pass", "-file", cert.toString()));
    KeyStore trustStore = KeyStore.getInstance("PKCS12");
    trustStore.load(null, null);
    try (InputStream in = Files.newInputStream(cert); OutputStream out = Files.newOutputStream(trust)) {
      trustStore.setCertificateEntry("plm", CertificateFactory.getInstance("X.509").generateCertificate(in));
      trustStore.store(out, "trust-pass".toCharArray());
    }
    return new TestTls(server, "server-pass", trust, "trust-pass");
  }

  /** The server side's SSL context. */
  public SSLContext serverContext() throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(serverKeyStore)) {
      store.load(in, serverPassword.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, serverPassword.toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + command + "\n" + output);
    }
  }
}
