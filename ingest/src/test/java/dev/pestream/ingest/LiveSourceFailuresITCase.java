package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * Live sources that misbehave, served by the JDK's HTTP server: one that sends garbage, one that
 * stalls (the I/O timeout ends the wait), one that disappears. Each gives one clear {@code
 * error:} line and its exit code; where the source had worked, ingest first keeps trying with a
 * doubling backoff.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LiveSourceFailuresITCase {
  private static KafkaTestClient kafka;
  private static Path dir;
  private static byte[] clip;

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  @BeforeAll
  static void start(KafkaTestClient client) throws Exception {
    kafka = client;
    dir = Files.createTempDirectory("live-failures-it");
    clip = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).duration(2).gop(12)
        .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4), dir);
  }


  private int ingest(String url, String... options) {
    PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    String[] args = new String[options.length + 9];
    System.arraycopy(new String[] {url, "--stream-id", "s", "--topic", kafka.newTopic("failures", 1),
        "--bootstrap", kafka.bootstrapServers(), "--blob-dir", dir.resolve("blobs").toString()}, 0, args, 0, 9);
    System.arraycopy(options, 0, args, 9, options.length);
    return new CommandLine(new IngestCommand(null, out, new IngestProgress(out, false), new AtomicBoolean())).execute(args);
  }

  private String messages() {
    return output.toString(StandardCharsets.UTF_8);
  }

  private static HttpServer serve(Handler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    AtomicInteger requests = new AtomicInteger();
    server.createContext("/", exchange -> {
      try (exchange) {
        handler.handle(requests.incrementAndGet(), exchange);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    return server;
  }

  interface Handler {
    void handle(int request, HttpExchange exchange) throws IOException, InterruptedException;
  }

  private static String url(HttpServer server) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/live.ts";
  }

  private static void send(HttpExchange exchange, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "video/mp2t");
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Test
  void garbageIsRefusedWithOneLine() throws Exception {
    byte[] garbage = new byte[1 << 20];
    new Random(15).nextBytes(garbage);
    HttpServer server = serve((n, exchange) -> send(exchange, garbage));
    try {
      int code = ingest(url(server), "--io-timeout", "2s");
      assertThat(code).as(messages()).isEqualTo(IngestExitCodes.SOURCE_UNREADABLE);
      assertThat(messages()).as("one clear line, no stack trace").startsWith("error: ").contains("127.0.0.1")
          .doesNotContain("\tat ").hasLineCount(1);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aStalledSourceTimesOutAndIsRetriedWithBackoff() throws Exception {
    // the first connection sends a clip and then nothing; later ones never answer
    HttpServer server = serve((n, exchange) -> {
      if (n == 1) {
        exchange.getResponseHeaders().set("Content-Type", "video/mp2t");
        exchange.sendResponseHeaders(200, 0);
        exchange.getResponseBody().write(clip);
        exchange.getResponseBody().flush();
      }
      Thread.sleep(20_000);
    });
    try {
      long started = System.nanoTime();
      int code = ingest(url(server), "--io-timeout", "1s", "--max-reconnects", "2");
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(code).as(messages()).isEqualTo(IngestExitCodes.SOURCE_LOST);
      assertThat(messages())
          .contains("no data for 1000 ms")
          .contains("reconnect #1 in 500 ms")
          .contains("reconnect #2 in 1000 ms")
          .contains("error: lost the source " + url(server) + " after 2 reconnects: cannot open")
          .doesNotContain("\tat ");
      assertThat(seconds).as("3 stalls of 1 s and backoffs of 0.5 + 1 s").isGreaterThanOrEqualTo(4.5);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aSourceThatDisappearsIsRetriedWithBackoffThenGivenUp() throws Exception {
    AtomicBoolean served = new AtomicBoolean();
    HttpServer server = serve((n, exchange) -> {
      send(exchange, clip);
      served.set(true);
    });
    HttpServer[] holder = {server};
    Thread vanish = new Thread(() -> {
      while (!served.get()) {
        Thread.onSpinWait();
      }
      holder[0].stop(0); // gone: connections are refused from now on
    });
    vanish.start();
    String url = url(server);
    int code = ingest(url, "--io-timeout", "2s", "--max-reconnects", "3");
    vanish.join();
    assertThat(code).as(messages()).isEqualTo(IngestExitCodes.SOURCE_LOST);
    assertThat(messages())
        .contains("reconnect #1 in 500 ms")
        .contains("Connection refused")
        .contains("reconnect #3 in 2000 ms")
        .contains("error: lost the source " + url + " after 3 reconnects: cannot open " + url + ": Connection refused")
        .doesNotContain("\tat ");
  }
}
