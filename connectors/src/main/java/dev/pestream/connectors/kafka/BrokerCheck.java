package dev.pestream.connectors.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** Fails fast, with a clear message, when the Kafka cluster cannot be reached. */
public final class BrokerCheck {
  private BrokerCheck() {}

  /** Asks the cluster to describe itself within {@code timeout}. */
  public static void verify(String bootstrapServers, Duration timeout) throws KafkaUnreachableException {
    verify(bootstrapServers, timeout, new Properties());
  }

  /**
   * As {@link #verify(String, Duration)}, with the client settings the real clients use
   * (security protocol, SASL, TLS), so a secured cluster answers the check too.
   */
  public static void verify(String bootstrapServers, Duration timeout, Properties clientProperties)
      throws KafkaUnreachableException {
    requireListening(bootstrapServers, timeout);
    Properties p = new Properties();
    p.putAll(clientProperties);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(millis));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(millis));
    Admin admin;
    try {
      admin = Admin.create(p);
    } catch (RuntimeException e) { // e.g. no resolvable bootstrap address
      throw unreachable(bootstrapServers, e.getMessage(), e);
    }
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(millis))
          .nodes()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw unreachable(bootstrapServers + " within " + timeout.toMillis() + " ms",
          cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaUnreachableException("interrupted while checking Kafka", e);
    } finally {
      admin.close(Duration.ofSeconds(2));
    }
  }

  /**
   * The Kafka client retries a refused connection until its timeout; a plain TCP connect to the
   * bootstrap addresses tells at once that nothing listens there. Addresses it cannot parse are
   * left to the client.
   */
  private static void requireListening(String bootstrapServers, Duration timeout) throws KafkaUnreachableException {
    Exception last = null;
    String reason = null;
    for (String server : bootstrapServers.split(",")) {
      String s = server.trim();
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || !s.substring(colon + 1).matches("\\d{1,5}")) {
        return;
      }
      String host = s.substring(0, colon).replaceAll("^\\[|]$", "");
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, Integer.parseInt(s.substring(colon + 1))),
            (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        return;
      } catch (IOException | IllegalArgumentException e) {
        last = e;
        reason = e instanceof UnknownHostException ? "unknown host " + host : e.getMessage();
      }
    }
    if (last != null) {
      throw unreachable(bootstrapServers, reason, last);
    }
  }

  private static KafkaUnreachableException unreachable(String where, String why, Throwable cause) {
    return new KafkaUnreachableException("cannot reach Kafka at " + where + ": " + why, cause);
  }
}
