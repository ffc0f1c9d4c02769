package dev.pestream.testing.flink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One {@link FlinkProcessCluster} per test class: started before the first test, closed after the
 * last one (also when a test or the start fails). Inject it as a {@code FlinkProcessCluster}
 * parameter. When a test fails, the processes' logs are copied to {@code target/cluster-logs/<test>}
 * and their tails printed.
 */
public final class FlinkClusterExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver, TestWatcher {
  private static final Path LOG_ARCHIVE = Path.of("target", "cluster-logs");

  private final Supplier<FlinkProcessCluster.Builder> settings;
  private FlinkProcessCluster cluster;

  public FlinkClusterExtension(Supplier<FlinkProcessCluster.Builder> settings) {
    this.settings = settings;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    long started = System.nanoTime();
    cluster = settings.get().start();
    System.out.printf("[cluster] JobManager + %d TaskManagers up (REST %s) in %.1f s%n",
        cluster.taskManagers().size(), cluster.restUrl(), (System.nanoTime() - started) / 1e9);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (cluster == null) {
      return;
    }
    Path target = LOG_ARCHIVE.resolve(context.getRequiredTestClass().getSimpleName() + "-" + context.getDisplayName()
        .replaceAll("[^A-Za-z0-9_.-]", "_"));
    try {
      cluster.copyLogsTo(target);
    } catch (IOException e) {
      System.err.println("could not keep the cluster logs: " + e.getMessage());
    }
    System.err.println("Flink cluster logs of the failed test " + context.getDisplayName() + " (all in " + target
        .toAbsolutePath() + "):\n" + cluster.logTails(40));
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == FlinkProcessCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (cluster == null) {
      throw new IllegalStateException("the Flink cluster is not running");
    }
    return cluster;
  }
}
