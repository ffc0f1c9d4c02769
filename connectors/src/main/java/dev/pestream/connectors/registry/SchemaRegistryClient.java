package dev.pestream.connectors.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client for the Confluent Schema Registry REST API (the subset the serializers use: register,
 * look up, fetch by id), which Confluent's registry, Apicurio's ccompat API and Karapace all
 * serve. Successful answers are cached for the life of the JVM (ids are immutable); failures are
 * not, so a registry that comes back is used again. One client per settings per JVM: {@link
 * #shared}.
 *
 * <p>Written over java.net.http rather than using Confluent's client because the only build of that
 * client served here is the one inside flink-sql-avro-confluent-registry, a 23 MB SQL-client jar
 * that relocates it and ships unrelocated Guava, commons-lang3 and flink-avro 2.1 classes onto the
 * job's and ingest's class path.
 */
public final class SchemaRegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<RegistrySettings, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

  private final RegistrySettings settings;
  private final HttpClient http;
  private final String authorization;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

  /** Reads the credentials and the trust store now. */
  public SchemaRegistryClient(RegistrySettings settings) {
    this.settings = settings;
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(settings.timeout());
    if ("https".equals(settings.url().getScheme())) {
      builder.sslContext(settings.tls().sslContext());
    }
    this.http = builder.build();
    this.authorization = settings.basicAuth().resolve()
        .map(userInfo -> "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)))
        .or(() -> settings.bearerToken().resolve().map(token -> "Bearer " + token))
        .orElse(null);
  }

  /** The JVM's client for these settings, so every operator and codec shares one cache. */
  public static SchemaRegistryClient shared(RegistrySettings settings) {
    return SHARED.computeIfAbsent(settings, SchemaRegistryClient::new);
  }

  /** The schema with registry id {@code id} ({@code GET /schemas/ids/{id}}). */
  public Schema schemaById(int id) throws RegistryException {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = call(get("/schemas/ids/" + id), "schema id " + id);
    String type = answer.path("schemaType").asText("AVRO");
    if (!"AVRO".equals(type)) {
      throw new RegistryException(RegistryException.Kind.REFUSED, "schema id " + id + " is a " + type
          + " schema, not Avro", null);
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(answer.path("schema").asText());
    } catch (RuntimeException e) {
      throw new RegistryException(RegistryException.Kind.REFUSED,
          "schema id " + id + " is not a valid Avro schema: " + e.getMessage(), e);
    }
    schemasById.put(id, schema);
    return schema;
  }

  /**
   * The id of {@code schema} under {@code subject}: registered if {@code register} ({@code POST
   * /subjects/{s}/versions}, which returns the existing id for a known schema), else looked up
   * ({@code POST /subjects/{s}}).
   */
  public int idOf(String subject, Schema schema, boolean register) throws RegistryException {
    String key = subject + '\n' + schema;
    Integer cached = idsBySubjectAndSchema.get(key);
    if (cached != null) {
      return cached;
    }
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    String path = "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + (register ? "/versions" : "");
    JsonNode answer = call(post(path, body), (register ? "registering " : "looking up ") + "the schema of subject "
        + subject);
    int id = answer.path("id").asInt(-1);
    if (id < 0) {
      throw new RegistryException(RegistryException.Kind.REFUSED, "the registry's answer for subject " + subject
          + " has no schema id", null);
    }
    idsBySubjectAndSchema.put(key, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(settings.url() + path))
        .timeout(settings.timeout())
        .header("Accept", CONTENT_TYPE + ", application/json");
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return request;
  }

  private HttpRequest get(String path) {
    return request(path).GET().build();
  }

  private HttpRequest post(String path, String body) {
    return request(path).header("Content-Type", CONTENT_TYPE)
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
  }

  private JsonNode call(HttpRequest request, String what) throws RegistryException {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Kind.UNAVAILABLE, "schema registry " + settings.url()
          + " unreachable or its TLS not trusted (" + what + "): " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException(RegistryException.Kind.UNAVAILABLE, "interrupted while " + what, e);
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      try {
        return JSON.readTree(response.body());
      } catch (IOException e) {
        throw new RegistryException(RegistryException.Kind.REFUSED, "schema registry " + settings.url()
            + " answered " + what + " with something that is not JSON", e);
      }
    }
    String reason = "schema registry " + settings.url() + " answered HTTP " + status + " to " + what
        + errorMessage(response.body());
    if (status == 404) {
      throw new RegistryException(RegistryException.Kind.NOT_FOUND, reason, null);
    }
    if (status == 401 || status == 403) {
      throw new RegistryException(RegistryException.Kind.REFUSED, reason + " (check "
          + RecordFormatOptions.REGISTRY_BASIC_AUTH.key() + " / " + RecordFormatOptions.REGISTRY_BEARER_TOKEN.key()
          + ")", null);
    }
    throw new RegistryException(status >= 500 ? RegistryException.Kind.UNAVAILABLE : RegistryException.Kind.REFUSED,
        reason, null);
  }

  private static String errorMessage(String body) {
    try {
      String message = JSON.readTree(body).path("message").asText("");
      return message.isEmpty() ? "" : ": " + message;
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
