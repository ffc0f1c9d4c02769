package dev.pestream.testing.kafka;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.TreeSet;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves Kafka producers, consumers or admin clients open. Every Kafka client
 * registers an {@code app-info} MBean when created and removes it when closed; the set after
 * the test (given a few seconds for Flink tasks to finish closing) must equal the set before.
 */
public final class KafkaClientLeakCheck implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaClientLeakCheck.class);
  private static final long GRACE_MS = 10_000;

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    context.getStore(NAMESPACE).put("before", openClients());
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    @SuppressWarnings("unchecked")
    Set<String> before = (Set<String>) context.getStore(NAMESPACE).get("before");
    long deadline = System.currentTimeMillis() + GRACE_MS;
    Set<String> leaked;
    do {
      leaked = openClients();
      leaked.removeAll(before);
      if (leaked.isEmpty()) {
        return;
      }
      Thread.sleep(200);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("Kafka clients left open by " + context.getDisplayName() + ": " + leaked);
  }

  /** Names of the app-info MBeans of open Kafka clients in this JVM. */
  public static Set<String> openClients() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    Set<String> names = new TreeSet<>();
    for (String domain : new String[] {"kafka.producer", "kafka.consumer", "kafka.admin.client"}) {
      for (ObjectName name : server.queryNames(new ObjectName(domain + ":type=app-info,*"), null)) {
        names.add(name.toString());
      }
    }
    return names;
  }
}
