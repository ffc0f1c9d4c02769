package dev.pestream.testing.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;

/**
 * An in-memory schema registry speaking the Confluent Schema Registry REST API, on a random
 * loopback port, for the tests and the demo. It serves what the Confluent-compatible clients call
 * (Confluent's Java client inside Flink's avro-confluent format, confluent-kafka's Python client,
 * the project's own client), over http or https:
 *
 * <ul>
 *   <li>{@code POST /subjects/{s}/versions}: register (an identical schema keeps its id, across subjects too);
 *   <li>{@code POST /subjects/{s}}: look a schema up under a subject;
 *   <li>{@code GET /schemas/ids/{id}}, {@code GET /schemas/ids/{id}/versions};
 *   <li>{@code GET /subjects}, {@code GET /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/{v|latest}};
 *   <li>{@code GET|PUT /config[/{s}]}, {@code POST /compatibility/subjects/{s}/versions/{v|latest}}
 *       (BACKWARD: the new schema reads every registered version).
 * </ul>
 *
 * Avro only. Errors carry Confluent's {@code error_code} and {@code message}. Optionally demands
 * HTTP basic auth or a bearer token. Stands in for Apicurio Registry, which cannot be built here (its parent POM is
 * not served; docs/sql.md).
 */
public final class SchemaRegistryServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final HttpServer server;
  private final ExecutorService executor;
  private final String requiredAuthorization;
  private final List<String> schemasById = new ArrayList<>();
  private final Map<String, Integer> idsByCanonicalForm = new LinkedHashMap<>();
  private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();
  private String compatibility = "BACKWARD";

  private SchemaRegistryServer(HttpServer server, String requiredAuthorization) {
    this.server = server;
    this.requiredAuthorization = requiredAuthorization;
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "schema-registry");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** A registry on a random loopback port, open to all. */
  public static SchemaRegistryServer start() {
    return start(null);
  }

  /** A registry that answers 401 unless the request carries HTTP basic auth {@code user:password}. */
  public static SchemaRegistryServer start(String requiredUserInfo) {
    return startRequiring(requiredUserInfo == null ? null
        : "Basic " + Base64.getEncoder().encodeToString(requiredUserInfo.getBytes(StandardCharsets.UTF_8)));
  }

  /** A registry that answers 401 unless the request carries {@code Authorization: Bearer <token>}. */
  public static SchemaRegistryServer startRequiringBearer(String token) {
    return startRequiring("Bearer " + token);
  }

  private static SchemaRegistryServer startRequiring(String authorization) {
    try {
      return new SchemaRegistryServer(
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0), authorization);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the schema registry: " + e.getMessage(), e);
    }
  }

  /**
   * A registry served over https on a random loopback port, with the key and certificate in the
   * PKCS12 {@code keyStore} (valid for 127.0.0.1).
   */
  public static SchemaRegistryServer startHttps(Path keyStore, String password) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keyStore)) {
        store.load(in, password.toCharArray());
      }
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password.toCharArray());
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(keys.getKeyManagers(), null, null);
      HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setHttpsConfigurator(new HttpsConfigurator(tls));
      return new SchemaRegistryServer(server, null);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot start the https schema registry: " + e.getMessage(), e);
    }
  }

  /** The base URL clients use ({@code http(s)://127.0.0.1:PORT}). */
  public String url() {
    return (server instanceof HttpsServer ? "https" : "http") + "://"
        + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
  }

  /** The subjects registered so far. */
  public synchronized List<String> subjects() {
    return List.copyOf(versionsBySubject.keySet());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (requiredAuthorization != null
          && !requiredAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        reply(exchange, 401, error(40101, "Unauthorized"));
        return;
      }
      String[] path = exchange.getRequestURI().getRawPath().replaceAll("^/+|/+$", "").split("/");
      for (int i = 0; i < path.length; i++) {
        path[i] = URLDecoder.decode(path[i], StandardCharsets.UTF_8);
      }
      Object answer;
      try {
        synchronized (this) {
          answer = route(exchange.getRequestMethod(), path, exchange.getRequestBody());
        }
      } catch (RuntimeException e) {
        answer = new Failure(500, 50001, String.valueOf(e.getMessage()));
      }
      if (answer instanceof Failure failure) {
        reply(exchange, failure.status(), error(failure.code(), failure.message()));
      } else {
        reply(exchange, 200, answer);
      }
    }
  }

  private Object route(String method, String[] p, InputStream body) throws IOException {
    int n = p.length;
    if (n >= 1 && p[0].equals("subjects")) {
      if (n == 1 && method.equals("GET")) {
        return List.copyOf(versionsBySubject.keySet());
      }
      if (n == 2 && method.equals("POST")) {
        return lookUp(p[1], schemaOf(body));
      }
      if (n == 3 && p[2].equals("versions") && method.equals("POST")) {
        return register(p[1], schemaOf(body));
      }
      if (n == 3 && p[2].equals("versions") && method.equals("GET")) {
        List<Integer> ids = versionsBySubject.get(p[1]);
        if (ids == null) {
          return subjectNotFound(p[1]);
        }
        List<Integer> versions = new ArrayList<>();
        for (int v = 1; v <= ids.size(); v++) {
          versions.add(v);
        }
        return versions;
      }
      if (n == 4 && p[2].equals("versions") && method.equals("GET")) {
        return version(p[1], p[3]);
      }
    }
    if (n >= 3 && p[0].equals("schemas") && p[1].equals("ids") && method.equals("GET")) {
      int id = Integer.parseInt(p[2]);
      if (id < 1 || id > schemasById.size()) {
        return new Failure(404, 40403, "Schema " + id + " not found");
      }
      if (n == 3) {
        return Map.of("schema", schemasById.get(id - 1));
      }
      List<Map<String, Object>> uses = new ArrayList<>();
      versionsBySubject.forEach((subject, ids) -> {
        for (int v = 0; v < ids.size(); v++) {
          if (ids.get(v) == id) {
            uses.add(Map.of("subject", subject, "version", v + 1));
          }
        }
      });
      return uses;
    }
    if (n >= 1 && p[0].equals("config")) {
      if (method.equals("PUT")) {
        compatibility = JSON.readTree(body).path("compatibility").asText(compatibility);
        return Map.of("compatibility", compatibility);
      }
      return Map.of("compatibilityLevel", compatibility);
    }
    if (n == 5 && p[0].equals("compatibility") && p[1].equals("subjects") && method.equals("POST")) {
      Schema candidate = schemaOf(body);
      List<Integer> ids = versionsBySubject.getOrDefault(p[2], List.of());
      boolean compatible = true;
      for (int id : ids) {
        Schema registered = new Schema.Parser().parse(schemasById.get(id - 1));
        compatible &= SchemaCompatibility.checkReaderWriterCompatibility(candidate, registered).getType()
            == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
      }
      return Map.of("is_compatible", compatible);
    }
    return new Failure(404, 404, "no such endpoint: " + method + " /" + String.join("/", p));
  }

  private Object register(String subject, Schema schema) {
    if (schema == null) {
      return new Failure(422, 42201, "Invalid schema");
    }
    int id = idsByCanonicalForm.computeIfAbsent(SchemaNormalization.toParsingForm(schema), k -> {
      schemasById.add(schema.toString());
      return schemasById.size();
    });
    List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
    if (!versions.contains(id)) {
      versions.add(id);
    }
    return Map.of("id", id);
  }

  private Object lookUp(String subject, Schema schema) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null) {
      return subjectNotFound(subject);
    }
    Integer id = schema == null ? null : idsByCanonicalForm.get(SchemaNormalization.toParsingForm(schema));
    if (id == null || !versions.contains(id)) {
      return new Failure(404, 40403, "Schema not found under subject " + subject);
    }
    return versionRecord(subject, versions.indexOf(id) + 1, id);
  }

  private Object version(String subject, String version) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null) {
      return subjectNotFound(subject);
    }
    int v = version.equals("latest") || version.equals("-1") ? versions.size() : Integer.parseInt(version);
    if (v < 1 || v > versions.size()) {
      return new Failure(404, 40402, "Version " + version + " not found");
    }
    return versionRecord(subject, v, versions.get(v - 1));
  }

  private Map<String, Object> versionRecord(String subject, int version, int id) {
    return Map.of("subject", subject, "version", version, "id", id, "schema", schemasById.get(id - 1));
  }

  private static Failure subjectNotFound(String subject) {
    return new Failure(404, 40401, "Subject '" + subject + "' not found.");
  }

  private static Schema schemaOf(InputStream body) throws IOException {
    JsonNode request = JSON.readTree(body);
    String type = request.path("schemaType").asText("AVRO");
    if (!type.equals("AVRO")) {
      return null;
    }
    try {
      return new Schema.Parser().parse(request.path("schema").asText());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Map<String, Object> error(int code, String message) {
    return Map.of("error_code", code, "message", message);
  }

  private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private record Failure(int status, int code, String message) {}
}
