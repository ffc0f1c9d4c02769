package dev.pestream.tests.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pestream.testing.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pestream demo --console} as a user runs it, in its own JVM: it prints the console's
 * address, the page's API shows the sample clips' results (DemoSamples: street-cam beeps at
 * 4.0-6.5 s, colour tags on both streams) and search answers as the contract bundle's engineered
 * texts predict; after the input is processed it keeps serving, and SIGTERM ends it with exit 0,
 * the port closed and no process it started left running (the broker JVM included).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DemoConsoleITCase {
  private static final long SECOND = 1_000_000;
  private static final Pattern CONSOLE_URL = Pattern.compile("Console: (http://127\\.0\\.0\\.1:\\d+/)");

  @TempDir Path dir;

  @Test
  void theDemosConsoleShowsTheSampleResultsAndStopsCleanlyOnSigterm() throws Exception {
    Path log = dir.resolve("demo.log");
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g", "-XX:+UseParallelGC", "-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")),
        "-cp", System.getProperty("java.class.path"), "dev.pestream.jobs.cli.PestreamCli",
        "demo", "--console", "--console-port", "0", "--work-dir", dir.resolve("work").toString());
    Process demo = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      String url = Poll.until("the demo printed the console's address", Duration.ofMinutes(2),
          () -> consoleUrl(printedWhileAlive(log, demo)), found -> found != null);
      Poll.until("the demo processed its input and keeps serving", Duration.ofMinutes(3),
          () -> printedWhileAlive(log, demo), printed -> printed.contains("The console keeps serving at " + url));
      ConsoleHttp http = new ConsoleHttp(url);

      List<String> streams = new ArrayList<>();
      http.ok("/api/streams").get("streams").forEach(s -> streams.add(s.get("streamId").asText()));
      assertThat(streams).containsExactlyInAnyOrder("street-cam", "lobby-cam");

      JsonNode street = http.ok("/api/streams/street-cam/timeline");
      List<JsonNode> beeps = closedSpans(street, "beep");
      assertThat(beeps).singleElement().satisfies(s -> {
        assertThat(s.get("startUs").asLong()).isBetween(4 * SECOND - 40_000, 4 * SECOND + 40_000);
        assertThat(s.get("endUs").asLong()).isBetween(6_500_000L - 40_000, 6_500_000L + 60_000);
      });
      List<String> tags = new ArrayList<>();
      street.get("tags").forEach(t -> tags.add(t.get("tag").asText()));
      assertThat(tags).containsExactly("red", "blue");

      // "beep" finds a window that holds a beep span of its stream first; "red" one that holds a red tag
      JsonNode beep = http.ok("/api/search?q=beep&modality=audio&k=5").at("/results/0");
      assertThat(overlapsAny(beep, closedSpans(timelineOf(http, beep), "beep"))).as("best beep window %s", beep).isTrue();
      JsonNode red = http.ok("/api/search?q=red&modality=video&k=5").at("/results/0");
      assertThat(overlapsAny(red, tagSegments(timelineOf(http, red), "red"))).as("best red window %s", red).isTrue();
      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<html");

      List<ProcessHandle> started = demo.descendants().toList();
      assertThat(started).as("the demo's broker JVM").isNotEmpty();
      demo.destroy(); // SIGTERM
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo ends within 60 s of SIGTERM").isTrue();
      assertThat(demo.exitValue()).as(Files.readString(log)).isZero();
      assertThat(Files.readString(log)).contains("Stopping the console");
      Poll.until("every process the demo started ended", Duration.ofSeconds(20),
          () -> started.stream().filter(ProcessHandle::isAlive).toList(), List::isEmpty);
      URI address = URI.create(url);
      assertThatThrownBy(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(address.getHost(), address.getPort()), 2_000);
        }
      }).as("the console's port is closed").isInstanceOf(ConnectException.class);
    } finally {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
      System.out.println(Files.readString(log));
    }
  }

  /** What the demo printed so far; fails at once (not at the poll's timeout) if it ended. */
  private static String printedWhileAlive(Path log, Process demo) {
    try {
      String printed = Files.readString(log);
      if (!demo.isAlive()) {
        throw new AssertionError("the demo ended with " + demo.exitValue() + " while it should serve:\n" + printed);
      }
      return printed;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String consoleUrl(String printed) {
    Matcher m = CONSOLE_URL.matcher(printed);
    return m.find() ? m.group(1) : null;
  }

  private static JsonNode timelineOf(ConsoleHttp http, JsonNode result) {
    return http.ok("/api/streams/" + result.get("streamId").asText() + "/timeline");
  }

  /** Closed spans of the demo's vocabulary prompt {@code promptId} (the alert rule's spans have their own id). */
  private static List<JsonNode> closedSpans(JsonNode timeline, String promptId) {
    List<JsonNode> out = new ArrayList<>();
    timeline.get("spans").forEach(s -> {
      if (s.get("state").asText().equals("CLOSED") && s.get("promptId").asText().equals(promptId)) {
        out.add(s);
      }
    });
    return out;
  }

  private static List<JsonNode> tagSegments(JsonNode timeline, String tag) {
    List<JsonNode> out = new ArrayList<>();
    timeline.get("tags").forEach(t -> {
      if (t.get("tag").asText().equals(tag)) {
        out.add(t);
      }
    });
    return out;
  }

  /** Whether the result's window overlaps one of the segments (an open end runs to the end of the stream). */
  private static boolean overlapsAny(JsonNode result, List<JsonNode> segments) {
    long from = result.get("windowStartUs").asLong();
    long to = result.get("windowEndUs").asLong();
    return segments.stream().anyMatch(s -> s.get("startUs").asLong() < to
        && (s.get("endUs").isNull() || s.get("endUs").asLong() > from));
  }
}
