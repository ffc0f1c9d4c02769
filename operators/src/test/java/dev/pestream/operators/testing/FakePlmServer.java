package dev.pestream.operators.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.net.ssl.SSLContext;

/**
 * A local stand-in for a PLM server speaking the OpenAI chat-completions protocol (as {@code
 * transformers serve} does), for tests. It checks every request — path, auth header, JSON keys,
 * model name, one user message of JPEG image parts followed by the prompt, frame count, that each
 * frame decodes (javax.imageio) to the expected square size — and answers with a caption derived
 * from the request: the frame count, size, the mean colour of each frame and the prompt. It can
 * be told to answer 429 (with Retry-After), 500, or stall, and records what it received and when.
 */
public final class FakePlmServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ACCEPTED_KEYS = Set.of("model", "messages", "max_tokens", "temperature", "stream");
  private static final Pattern COLOUR = Pattern.compile("\\((\\d+),(\\d+),(\\d+)\\)");

  /** What to do with a request. */
  public enum Fault {
    NONE,
    TOO_MANY_REQUESTS,
    SERVER_ERROR,
    STALL
  }

  /** What the server expects of each request. */
  public record Expectations(String model, String apiKey, int imageSize, int maxFrames) {}

  /** One request as received; status 0 = stalled, never answered. */
  public record Received(long arrivalNanos, int status, Fault fault, int frames, String prompt, String text) {}

  private final Expectations expected;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-plm");
    t.setDaemon(true);
    return t;
  });
  private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Fault> script = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Set<HttpExchange> inFlightExchanges = ConcurrentHashMap.newKeySet();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile IntFunction<Fault> pattern = n -> Fault.NONE;
  private volatile Duration stall = Duration.ofSeconds(30);
  private volatile Duration answerTime = Duration.ZERO;
  private volatile int retryAfterSeconds = -1;
  private volatile String refusedPromptMarker;

  private FakePlmServer(Expectations expected, HttpServer server) {
    this.expected = expected;
    this.server = server;
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** A plain-HTTP server on a free loopback port. */
  public static FakePlmServer start(Expectations expected) throws IOException {
    return new FakePlmServer(expected, HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
  }

  /** An HTTPS server on a free loopback port, with the key material of {@code tls}. */
  public static FakePlmServer startHttps(Expectations expected, SSLContext tls) throws IOException {
    HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    return new FakePlmServer(expected, https);
  }

  /** The base URL (http://127.0.0.1:port or https://localhost:port). */
  public String baseUrl() {
    String host = server instanceof HttpsServer ? "localhost" : "127.0.0.1";
    return (server instanceof HttpsServer ? "https" : "http") + "://" + host + ":" + server.getAddress().getPort();
  }

  /** Faults for the next requests, in order (then back to the pattern). */
  public FakePlmServer script(Fault... faults) {
    script.addAll(List.of(faults));
    return this;
  }

  /** The fault of request number n (0-based, counted over all requests) when no scripted fault is left. */
  public FakePlmServer pattern(IntFunction<Fault> faultOfRequest) {
    this.pattern = faultOfRequest;
    return this;
  }

  /** How long a stalled request hangs before the server drops it unanswered (past the client's timeout). */
  public FakePlmServer stallFor(Duration d) {
    this.stall = d;
    return this;
  }

  /** How long a normal answer takes (GPU time stand-in). */
  public FakePlmServer answerTime(Duration d) {
    this.answerTime = d;
    return this;
  }

  /** Sends {@code Retry-After: s} with 429 answers; negative = no header. */
  public FakePlmServer retryAfterSeconds(int s) {
    this.retryAfterSeconds = s;
    return this;
  }

  /** Answers 400 to prompts containing {@code marker} (a request the server deems invalid, for good). */
  public FakePlmServer refusePromptsContaining(String marker) {
    this.refusedPromptMarker = marker;
    return this;
  }

  public List<Received> received() {
    List<Received> list = new ArrayList<>(received);
    list.sort((a, b) -> Long.compare(a.arrivalNanos(), b.arrivalNanos()));
    return list;
  }

  /** Requests that broke the protocol or the expectations (each also got a 4xx). */
  public List<String> violations() {
    return new ArrayList<>(violations);
  }

  public int requestCount() {
    return requests.get();
  }

  /** The most requests handled at once (stalled requests do not count: when the client drops them is unknown here). */
  public int maxConcurrentRequests() {
    return maxInFlight.get();
  }

  /** The most requests that arrived within any interval of length {@code window} (arrival times). */
  public int maxRequestsWithin(Duration window) {
    List<Long> times = received().stream().map(Received::arrivalNanos).sorted().toList();
    int best = 0;
    int from = 0;
    for (int to = 0; to < times.size(); to++) {
      while (times.get(to) - times.get(from) >= window.toNanos()) {
        from++;
      }
      best = Math.max(best, to - from + 1);
    }
    return best;
  }

  /** Every request's arrival (ms after the first), status and fault, one per line: for failure messages. */
  public String arrivals() {
    List<Received> list = received();
    if (list.isEmpty()) {
      return "(no requests)";
    }
    long t0 = list.get(0).arrivalNanos();
    StringBuilder sb = new StringBuilder();
    for (Received r : list) {
      sb.append(String.format("%n+%6d ms  %3d  %s", (r.arrivalNanos() - t0) / 1_000_000, r.status(), r.fault()));
    }
    return sb.toString();
  }

  /** The per-frame mean colours (r, g, b) in a caption this server wrote. */
  public static List<int[]> coloursOf(String caption) {
    List<int[]> colours = new ArrayList<>();
    Matcher m = COLOUR.matcher(caption);
    while (m.find()) {
      colours.add(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
    }
    return colours;
  }

  private void handle(HttpExchange exchange) throws IOException {
    long arrival = System.nanoTime();
    int n = requests.getAndIncrement();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    inFlightExchanges.add(exchange);
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      Fault fault = script.poll();
      if (fault == null) {
        fault = pattern.apply(n);
      }
      switch (fault) {
        case TOO_MANY_REQUESTS -> {
          if (retryAfterSeconds >= 0) {
            exchange.getResponseHeaders().add("Retry-After", Integer.toString(retryAfterSeconds));
          }
          reply(exchange, 429, error("rate limited"), arrival, fault, 0, null, null);
          return;
        }
        case SERVER_ERROR -> {
          reply(exchange, 500, error("internal error"), arrival, fault, 0, null, null);
          return;
        }
        case STALL -> {
          // Hang, then drop the connection without an answer (the client has given up by then).
          // Not counted as in flight: the client gives up at its timeout, which the server cannot see.
          received.add(new Received(arrival, 0, fault, 0, null, null));
          leaveInFlight(exchange);
          sleep(stall);
          return;
        }
        case NONE -> {}
      }
      answer(exchange, body, arrival, fault);
    } finally {
      leaveInFlight(exchange);
    }
  }

  /**
   * A request stops being in flight once its answer starts: the client holds the whole answer
   * and may send its next request before this handler thread returns.
   */
  private void leaveInFlight(HttpExchange exchange) {
    if (inFlightExchanges.remove(exchange)) {
      inFlight.decrementAndGet();
    }
  }

  private void answer(HttpExchange exchange, byte[] body, long arrival, Fault fault) throws IOException {
    String path = exchange.getRequestURI().getPath();
    if (!exchange.getRequestMethod().equals("POST") || !path.equals("/v1/chat/completions")) {
      reject(exchange, 404, exchange.getRequestMethod() + " " + path + " is not the chat-completions endpoint", arrival);
      return;
    }
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    String wanted = expected.apiKey() == null ? null : "Bearer " + expected.apiKey();
    if (wanted == null ? auth != null : !wanted.equals(auth)) {
      reject(exchange, 401, "bad Authorization header (" + (auth == null ? "none" : "wrong") + ")", arrival);
      return;
    }
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    if (contentType == null || !contentType.startsWith("application/json")) {
      reject(exchange, 415, "Content-Type is " + contentType, arrival);
      return;
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      reject(exchange, 400, "body is not JSON", arrival);
      return;
    }
    List<String> unexpected = new ArrayList<>();
    root.fieldNames().forEachRemaining(k -> {
      if (!ACCEPTED_KEYS.contains(k)) {
        unexpected.add(k);
      }
    });
    if (!unexpected.isEmpty()) {
      reject(exchange, 422, "Unexpected keys in the request: " + unexpected, arrival);
      return;
    }
    if (!expected.model().equals(root.path("model").asText())) {
      reject(exchange, 404, "model " + root.path("model").asText() + " is not served here", arrival);
      return;
    }
    if (!root.path("max_tokens").canConvertToInt() || root.path("max_tokens").asInt() < 1
        || !root.path("temperature").isNumber()) {
      reject(exchange, 400, "max_tokens / temperature missing or invalid", arrival);
      return;
    }
    JsonNode messages = root.path("messages");
    if (messages.size() != 1 || !"user".equals(messages.path(0).path("role").asText())) {
      reject(exchange, 400, "expected exactly one user message", arrival);
      return;
    }
    JsonNode content = messages.path(0).path("content");
    int parts = content.size();
    if (parts < 2 || !"text".equals(content.path(parts - 1).path("type").asText())) {
      reject(exchange, 400, "expected image parts followed by one text part", arrival);
      return;
    }
    String prompt = content.path(parts - 1).path("text").asText();
    String refused = refusedPromptMarker;
    if (refused != null && prompt.contains(refused)) {
      reply(exchange, 400, error("this prompt is refused"), arrival, fault, parts - 1, prompt, null);
      return;
    }
    int frames = parts - 1;
    if (frames > expected.maxFrames()) {
      reject(exchange, 400, frames + " frames, more than " + expected.maxFrames(), arrival);
      return;
    }
    StringBuilder colours = new StringBuilder();
    for (int i = 0; i < frames; i++) {
      JsonNode part = content.path(i);
      String url = part.path("image_url").path("url").asText();
      if (!"image_url".equals(part.path("type").asText()) || !url.startsWith("data:image/jpeg;base64,")) {
        reject(exchange, 400, "part " + i + " is not a JPEG data URL image part", arrival);
        return;
      }
      BufferedImage image;
      try {
        image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1))));
      } catch (IOException | IllegalArgumentException e) {
        image = null;
      }
      if (image == null) {
        reject(exchange, 400, "frame " + i + " is not a decodable JPEG", arrival);
        return;
      }
      if (image.getWidth() != expected.imageSize() || image.getHeight() != expected.imageSize()) {
        reject(exchange, 400, "frame " + i + " is " + image.getWidth() + "x" + image.getHeight() + ", expected "
            + expected.imageSize() + "x" + expected.imageSize(), arrival);
        return;
      }
      int[] mean = meanColour(image);
      colours.append(" (").append(mean[0]).append(',').append(mean[1]).append(',').append(mean[2]).append(')');
    }
    sleep(answerTime);
    String text = frames + " frames of " + expected.imageSize() + "x" + expected.imageSize() + ", mean colours:" + colours
        + "; asked: " + prompt;
    ObjectNode answer = JSON.createObjectNode();
    answer.put("id", "chatcmpl-" + arrival);
    answer.put("object", "chat.completion");
    answer.put("model", expected.model());
    ObjectNode choice = answer.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", text);
    choice.put("finish_reason", "stop");
    ObjectNode usage = answer.putObject("usage");
    usage.put("prompt_tokens", 256 * frames + prompt.split("\\s+").length);
    usage.put("completion_tokens", text.split("\\s+").length);
    usage.put("total_tokens", usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
    reply(exchange, 200, JSON.writeValueAsBytes(answer), arrival, fault, frames, prompt, text);
  }

  private void reject(HttpExchange exchange, int status, String why, long arrival) throws IOException {
    violations.add(why);
    reply(exchange, status, error(why), arrival, Fault.NONE, 0, null, null);
  }

  private void reply(HttpExchange exchange, int status, byte[] body, long arrival, Fault fault, int frames, String prompt,
      String text) throws IOException {
    received.add(new Received(arrival, status, fault, frames, prompt, text));
    leaveInFlight(exchange);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    try {
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (IOException clientGone) {
      // the client gave up (timeout): nothing to answer
    }
  }

  private static byte[] error(String message) {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("error").put("message", message);
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static int[] meanColour(BufferedImage image) {
    long r = 0;
    long g = 0;
    long b = 0;
    int w = image.getWidth();
    int h = image.getHeight();
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int rgb : row) {
        r += (rgb >> 16) & 0xff;
        g += (rgb >> 8) & 0xff;
        b += rgb & 0xff;
      }
    }
    long n = (long) w * h;
    return new int[] {(int) Math.round((double) r / n), (int) Math.round((double) g / n), (int) Math.round((double) b / n)};
  }

  private static void sleep(Duration d) {
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Unmodifiable view for assertions. */
  public List<Received> okAnswers() {
    return Collections.unmodifiableList(received().stream().filter(r -> r.status() == 200).toList());
  }
}
