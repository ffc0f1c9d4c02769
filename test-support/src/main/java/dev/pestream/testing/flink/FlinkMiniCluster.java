package dev.pestream.testing.flink;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** The MiniCluster the integration tests run on: 2 TaskManagers with 2 slots each. */
public final class FlinkMiniCluster {
  public static final int TASK_MANAGERS = 2;
  public static final int SLOTS_PER_TASK_MANAGER = 2;

  private FlinkMiniCluster() {}

  public static MiniClusterExtension twoTaskManagers() {
    Configuration config = new Configuration();
    config.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, org.apache.flink.configuration.MemorySize.parse("64m"));
    return new MiniClusterExtension(
        new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(TASK_MANAGERS)
            .setNumberSlotsPerTaskManager(SLOTS_PER_TASK_MANAGER)
            .setConfiguration(config)
            .build());
  }
}
