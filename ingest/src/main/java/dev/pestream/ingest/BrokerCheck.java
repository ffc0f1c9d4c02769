package dev.pestream.ingest;

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
  public static void verify(String bootstrapServers, Duration timeout) throws PublishException {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(millis));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(millis));
    Admin admin = Admin.create(p);
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(millis))
          .nodes()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new PublishException(
          PublishException.Kind.KAFKA,
          "cannot reach Kafka at " + bootstrapServers + " within " + timeout.toMillis() + " ms ("
              + cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + ")",
          cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException(PublishException.Kind.KAFKA, "interrupted while checking Kafka", e);
    } finally {
      admin.close(Duration.ofSeconds(2));
    }
  }
}
