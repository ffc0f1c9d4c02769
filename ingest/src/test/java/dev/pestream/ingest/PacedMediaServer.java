package dev.pestream.ingest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live MPEG-TS sources over HTTP (the JDK's HTTP server, chunked transfer), each request paced at
 * real time: a clip of {@code clipSeconds} goes out at {@code bytes / clipSeconds} per second, as
 * a camera delivers it. Paths: {@code /live/NAME?hold=S} serves the clip up to S seconds then keeps
 * the connection open with nothing more; {@code /garbage/NAME} paced random bytes; {@code
 * /stall/NAME?after=S} the clip up to S seconds, then nothing (as {@code hold}, for a source that
 * is meant to time out).
 */
final class PacedMediaServer implements AutoCloseable {
  private final byte[] clip;
  private final double clipSeconds;
  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "paced-http");
    t.setDaemon(true);
    return t;
  });
  private final ConcurrentHashMap<String, AtomicLong> connections = new ConcurrentHashMap<>();
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  PacedMediaServer(byte[] clip, double clipSeconds) throws IOException {
    this.clip = clip;
    this.clipSeconds = clipSeconds;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", this::serve);
    server.setExecutor(pool);
    server.start();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** Requests so far for {@code name} (the last path segment). */
  long connections(String name) {
    return connections.computeIfAbsent(name, n -> new AtomicLong()).get();
  }

  /** Whether a connection for {@code name} has sent everything up to its hold. */
  boolean heldAt(String name) {
    return held.contains(name);
  }

  private void serve(HttpExchange exchange) throws IOException {
    String[] path = exchange.getRequestURI().getPath().split("/");
    String query = exchange.getRequestURI().getQuery();
    double stopAt = query == null ? clipSeconds : Math.min(clipSeconds, Double.parseDouble(query.replaceAll("^[a-z]+=", "")));
    connections.computeIfAbsent(path[path.length - 1], n -> new AtomicLong()).incrementAndGet();
    exchange.getResponseHeaders().add("Content-Type", "video/mp2t");
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody()) {
      byte[] body = "garbage".equals(path[1]) ? garbage() : clip;
      int end = (int) Math.min(body.length, (long) (body.length * stopAt / clipSeconds)) / 188 * 188;
      long start = System.nanoTime();
      int sent = 0;
      while (sent < end && !closed) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        int due = (int) Math.min(end, (long) (body.length * (elapsed / clipSeconds)));
        if (due > sent) {
          out.write(body, sent, due - sent);
          out.flush();
          sent = due;
        }
        sleep(20);
      }
      if (sent >= end && stopAt < clipSeconds) {
        held.add(path[path.length - 1]);
      }
      while (!closed && stopAt < clipSeconds) {
        sleep(50); // hold the connection open, sending nothing
      }
    } catch (IOException clientWentAway) {
      // the ingest side closed the connection (reconnect, stop)
    }
  }

  private byte[] garbage() {
    byte[] noise = new byte[clip.length];
    new Random(7).nextBytes(noise);
    return noise;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
