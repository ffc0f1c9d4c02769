package dev.pestream.tests.support;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/** The files under deploy/ (system property {@value #DEPLOY_DIR_PROPERTY}, set by the tests' pom). */
public final class DeployFiles {
  public static final String DEPLOY_DIR_PROPERTY = "pestream.deploy.dir";

  private DeployFiles() {}

  public static Path dir() {
    String dir = System.getProperty(DEPLOY_DIR_PROPERTY);
    if (dir == null) {
      throw new IllegalStateException("system property " + DEPLOY_DIR_PROPERTY + " is not set: run the tests through Maven");
    }
    return Path.of(dir);
  }

  public static Path file(String name) {
    Path file = dir().resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("missing deploy file " + file);
    }
    return file;
  }

  /** A Flink configuration file with flat keys ({@code metrics.reporter.prom.port: "9249"}) as strings. */
  public static Map<String, String> flinkConfig(String name) {
    Map<String, Object> yaml = yaml(name);
    Map<String, String> config = new LinkedHashMap<>();
    yaml.forEach((k, v) -> config.put(k, String.valueOf(v)));
    return config;
  }

  private static Map<String, Object> yaml(String name) {
    try (Reader reader = Files.newBufferedReader(file(name), StandardCharsets.UTF_8)) {
      Map<String, Object> doc = new Yaml().load(reader);
      return doc == null ? Map.of() : doc;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
