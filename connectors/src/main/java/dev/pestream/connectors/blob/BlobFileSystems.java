package dev.pestream.connectors.blob;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginManager;
import org.apache.flink.core.plugin.PluginUtils;

/**
 * Outside a Flink cluster (the ingest command), Flink's file systems must be initialised before
 * a blob store on {@code s3://} and the like works: this loads the plugins from {@code
 * $FLINK_PLUGINS_DIR} (default {@code ./plugins}), as a Flink process does. Inside a job the
 * runtime has already done it.
 */
public final class BlobFileSystems {
  private BlobFileSystems() {}

  public static void initialize(Configuration configuration) {
    PluginManager plugins = PluginUtils.createPluginManagerFromRootFolder(configuration);
    FileSystem.initialize(configuration, plugins);
  }
}
