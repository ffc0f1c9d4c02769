package dev.pestream.testing.flink;

import dev.pestream.testing.Poll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Flink's REST API (the one {@code flink run}, the web UI and curl use), spoken over plain HTTP +
 * JSON so the tests exercise exactly the documented endpoints: jar upload and run, job status,
 * savepoints, stop-with-savepoint, cancel, checkpoint statistics and metrics.
 */
public final class FlinkRestClient {
  public static final String RUNNING = "RUNNING";
  public static final String FINISHED = "FINISHED";
  public static final String CANCELED = "CANCELED";
  public static final String FAILED = "FAILED";
  /** Job states a job never leaves. */
  public static final Set<String> TERMINAL_STATES = Set.of(FINISHED, CANCELED, FAILED);

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;

  public FlinkRestClient(URI base) {
    this.base = base;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  public URI baseUri() {
    return base;
  }

  /** Arguments of {@code POST /jars/:jarid/run}; null fields are left to the cluster's defaults. */
  public record JarRun(String entryClass, List<String> programArgs, Integer parallelism, String savepointPath) {
    public JarRun {
      programArgs = List.copyOf(programArgs);
    }

    ObjectNode toJson() {
      ObjectNode body = JSON.createObjectNode();
      if (entryClass != null) {
        body.put("entryClass", entryClass);
      }
      body.set("programArgsList", JSON.valueToTree(programArgs));
      if (parallelism != null) {
        body.put("parallelism", parallelism);
      }
      if (savepointPath != null) {
        body.put("savepointPath", savepointPath);
      }
      return body;
    }
  }

  /** {@code GET /overview}: task managers, slots, jobs. */
  public JsonNode overview() {
    return get("/overview");
  }

  /** {@code POST /jars/upload} (multipart field {@code jarfile}); returns the jar id to run it with. */
  public String uploadJar(Path jar) {
    String boundary = "----pestream" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      body.write(("--" + boundary + "\r\n"
          + "Content-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName() + "\"\r\n"
          + "Content-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(jar));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    }
    JsonNode response = send(HttpRequest.newBuilder(base.resolve("/jars/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    if (!"success".equals(response.path("status").asText())) {
      throw new IllegalStateException("jar upload failed: " + response);
    }
    return Path.of(response.path("filename").asText()).getFileName().toString();
  }

  /** {@code POST /jars/:jarid/run}: runs the jar's main in the JobManager; returns the job id. */
  public String runJar(String jarId, JarRun run) {
    return post("/jars/" + jarId + "/run", run.toJson()).path("jobid").asText();
  }

  /** {@code GET /jobs/:jobid}. */
  public JsonNode job(String jobId) {
    return get("/jobs/" + jobId);
  }

  public String jobState(String jobId) {
    return job(jobId).path("state").asText();
  }

  /** Waits until the job and every one of its tasks run (the job state alone turns RUNNING earlier). */
  public void awaitAllTasksRunning(String jobId, Duration timeout) {
    Poll.until("all tasks of job " + jobId + " running", timeout, () -> job(jobId), job -> {
      failIfTerminal(jobId, job.path("state").asText());
      if (!RUNNING.equals(job.path("state").asText())) {
        return false;
      }
      for (JsonNode vertex : job.path("vertices")) {
        if (!RUNNING.equals(vertex.path("status").asText())) {
          return false;
        }
      }
      return true;
    });
  }

  public String awaitJobState(String jobId, Set<String> states, Duration timeout) {
    return Poll.until("job " + jobId + " in " + states, timeout, () -> jobState(jobId), states::contains);
  }

  /** {@code POST /jobs/:jobid/savepoints}: a savepoint; the job keeps running. Returns its location. */
  public String triggerSavepoint(String jobId, String targetDirectory, Duration timeout) {
    ObjectNode body = JSON.createObjectNode().put("target-directory", targetDirectory).put("cancel-job", false);
    return awaitSavepoint(jobId, post("/jobs/" + jobId + "/savepoints", body).path("request-id").asText(), timeout);
  }

  /**
   * {@code POST /jobs/:jobid/stop}: stop-with-savepoint (no drain: timers and windows are kept in
   * the savepoint). Returns the savepoint's location; the job then ends FINISHED.
   */
  public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout) {
    ObjectNode body = JSON.createObjectNode().put("targetDirectory", targetDirectory).put("drain", false);
    return awaitSavepoint(jobId, post("/jobs/" + jobId + "/stop", body).path("request-id").asText(), timeout);
  }

  private String awaitSavepoint(String jobId, String triggerId, Duration timeout) {
    JsonNode done = Poll.until("savepoint " + triggerId + " of job " + jobId, timeout,
        () -> get("/jobs/" + jobId + "/savepoints/" + triggerId),
        status -> "COMPLETED".equals(status.path("status").path("id").asText()));
    JsonNode operation = done.path("operation");
    if (operation.has("failure-cause")) {
      throw new IllegalStateException("savepoint of job " + jobId + " failed: "
          + operation.path("failure-cause").path("stack-trace").asText(operation.toString()));
    }
    return operation.path("location").asText();
  }

  /** {@code PATCH /jobs/:jobid?mode=cancel}, then waits until the job is CANCELED (or already ended). */
  public void cancel(String jobId, Duration timeout) {
    send(HttpRequest.newBuilder(base.resolve("/jobs/" + jobId + "?mode=cancel"))
        .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    awaitJobState(jobId, TERMINAL_STATES, timeout);
  }

  /** {@code GET /jobs/:jobid/checkpoints}: counts, latest completed and restored checkpoint. */
  public JsonNode checkpoints(String jobId) {
    return get("/jobs/" + jobId + "/checkpoints");
  }

  /**
   * Failovers of the job so far: the entries of its exception history, one per failure the
   * scheduler restarted the job for (failures during that restart are folded into it), read from
   * the JobManager as it stands. The {@code numRestarts} metric reaches REST only through the
   * metric fetcher, which lags up to 10 s and stalls while it waits on a killed TaskManager.
   * Counts up to {@code web.exception-history-size} (16 by default).
   */
  public int failovers(String jobId) {
    return get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries").size();
  }

  /**
   * Records that entered the job vertex whose name contains {@code operatorName} (Flink's {@code
   * read-records}, summed over its subtasks); also for a job that has ended. Running jobs report
   * it with the JobManager's metric fetch delay.
   */
  public long vertexRecordsIn(String jobId, String operatorName) {
    for (JsonNode vertex : job(jobId).path("vertices")) {
      if (vertex.path("name").asText().contains(operatorName)) {
        return vertex.path("metrics").path("read-records").asLong();
      }
    }
    throw new IllegalStateException("job " + jobId + " has no vertex with operator '" + operatorName + "'");
  }

  /** Resource ids of the TaskManagers registered with the JobManager. */
  public List<String> taskManagerIds() {
    List<String> ids = new ArrayList<>();
    get("/taskmanagers").path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText()));
    return ids;
  }

  /** Resource ids of the TaskManagers that run tasks of the job now. */
  public Set<String> taskManagersOf(String jobId) {
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode vertex : job(jobId).path("vertices")) {
      for (JsonNode tm : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers")
          .path("taskmanagers")) {
        if (RUNNING.equals(tm.path("status").asText())) {
          ids.add(tm.path("taskmanager-id").asText());
        }
      }
    }
    return ids;
  }

  public JsonNode get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  public JsonNode post(String path, JsonNode body) {
    return send(HttpRequest.newBuilder(base.resolve(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpRequest built = request.timeout(REQUEST_TIMEOUT).build();
    try {
      HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        throw new IllegalStateException(built.method() + " " + built.uri() + " answered "
            + response.statusCode() + ": " + response.body());
      }
      return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(built.method() + " " + built.uri() + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void failIfTerminal(String jobId, String state) {
    if (TERMINAL_STATES.contains(state)) {
      throw new AssertionError("job " + jobId + " ended " + state + " while waiting for it to run");
    }
  }
}
