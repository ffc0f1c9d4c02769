package dev.pestream.tests.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.NonValidationKeyword;
import dev.pestream.tests.support.DeployFiles;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/flink-deployment.yaml against the Flink Kubernetes Operator's CRD (a copy of the
 * operator's release file under test resources): its openAPIV3Schema, made strict the way
 * {@code kubectl apply --validate=strict} is (an unknown field is an error unless the schema
 * preserves unknown fields), validated with a JSON-schema validator. Also checks what the schema
 * cannot: the Flink configuration keys exist, and the deployment agrees with the other deploy/
 * files.
 */
class FlinkDeploymentSchemaTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String CRD = "/deploy/crd/flinkdeployments.flink.apache.org-v1.yml";
  /** Configuration families whose keys are not ConfigOption constants on this class path. */
  private static final List<String> DYNAMIC_KEY_PREFIXES = List.of(
      "metrics.reporter.", // one group of keys per reporter name
      "kubernetes.");      // Flink's native Kubernetes integration and the operator's own options

  private static JsonNode crd;
  private static Schema schema;
  private static JsonNode deployment;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = FlinkDeploymentSchemaTest.class.getResourceAsStream(CRD)) {
      crd = YAML.readTree(in);
    }
    // OpenAPI 3.0's schema dialect, plus Kubernetes' structural-schema markers (no validation of their own).
    Dialect kubernetes = Dialect.builder(Dialects.getOpenApi30())
        .keyword(new NonValidationKeyword("x-kubernetes-preserve-unknown-fields"))
        .keyword(new NonValidationKeyword("x-kubernetes-int-or-string"))
        .build();
    schema = SchemaRegistry.withDefaultDialect(kubernetes)
        .getSchema(strictJsonSchema(servedVersion().path("schema").path("openAPIV3Schema")));
    deployment = YAML.readTree(DeployFiles.file("flink-deployment.yaml").toFile());
  }

  @Test
  void flinkDeploymentIsValidAgainstTheOperatorsCrd() {
    assertThat(deployment.path("apiVersion").asText())
        .isEqualTo(crd.path("spec").path("group").asText() + "/" + servedVersion().path("name").asText());
    assertThat(deployment.path("kind").asText()).isEqualTo(crd.path("spec").path("names").path("kind").asText());
    assertThat(schema.validate(deployment)).extracting(Error::toString).isEmpty();
  }

  @Test
  void theStrictSchemaRejectsTyposBadEnumsAndWrongTypes() {
    ObjectNode typo = deployment.deepCopy();
    ((ObjectNode) typo.path("spec").path("taskManager")).put("gpus", 1);
    assertThat(schema.validate(typo)).extracting(Error::toString).anySatisfy(e -> assertThat(e).contains("gpus"));

    ObjectNode badEnum = deployment.deepCopy();
    ((ObjectNode) badEnum.path("spec").path("job")).put("upgradeMode", "savepoints");
    assertThat(schema.validate(badEnum)).extracting(Error::toString).anySatisfy(e -> assertThat(e).contains("upgradeMode"));

    ObjectNode badType = deployment.deepCopy();
    ((ObjectNode) badType.path("spec").path("job")).put("parallelism", "four");
    assertThat(schema.validate(badType)).isNotEmpty();

    ObjectNode podTypo = deployment.deepCopy();
    ((ObjectNode) podTypo.path("spec").path("taskManager").path("podTemplate").path("spec").path("containers").get(0))
        .putObject("resource").putObject("limits").put("nvidia.com/gpu", 1);
    assertThat(schema.validate(podTypo)).extracting(Error::toString).anySatisfy(e -> assertThat(e).contains("resource"));
  }

  @Test
  void runsTheJobJarInApplicationModeWithGpusRocksDbAndSavepointUpgrades() throws IOException {
    JsonNode spec = deployment.path("spec");
    JsonNode job = spec.path("job");
    assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/pestream-job.jar");
    assertThat(Files.readString(DeployFiles.file("Dockerfile")))
        .as("the image puts the job jar where jarURI points").contains("/opt/flink/usrlib/pestream-job.jar");
    assertThat(job.path("entryClass").asText()).isNotBlank();
    assertThat(job.path("upgradeMode").asText()).isEqualTo("savepoint");

    JsonNode config = spec.path("flinkConfiguration");
    assertThat(config.path("state.backend.type").asText()).isEqualTo("rocksdb");
    assertThat(config.path("execution.checkpointing.dir").asText()).startsWith("s3://");
    assertThat(config.path("execution.checkpointing.savepoint-dir").asText()).startsWith("s3://");

    JsonNode mainContainer = null;
    for (JsonNode container : spec.path("taskManager").path("podTemplate").path("spec").path("containers")) {
      if ("flink-main-container".equals(container.path("name").asText())) {
        mainContainer = container;
      }
    }
    assertThat(mainContainer).as("the operator merges only the container named flink-main-container").isNotNull();
    assertThat(mainContainer.path("resources").path("limits").path("nvidia.com/gpu").asInt()).isEqualTo(1);
  }

  @Test
  void prometheusReporterSettingsAreTheOnesTheClusterTestsRunWith() {
    JsonNode config = deployment.path("spec").path("flinkConfiguration");
    Map<String, String> reporter = DeployFiles.flinkConfig("flink-metrics-prometheus.yaml");
    assertThat(reporter).isNotEmpty();
    reporter.forEach((key, value) -> assertThat(config.path(key).asText()).as(key).isEqualTo(value));
  }

  @Test
  void everyFlinkConfigurationKeyIsAFlinkOption() throws Exception {
    Set<String> known = knownFlinkOptionKeys();
    assertThat(known).as("option keys found on the class path").contains("state.backend.type", "execution.checkpointing.dir");
    Set<String> unknown = new TreeSet<>();
    Iterator<String> keys = deployment.path("spec").path("flinkConfiguration").fieldNames();
    while (keys.hasNext()) {
      String key = keys.next();
      if (!known.contains(key) && DYNAMIC_KEY_PREFIXES.stream().noneMatch(key::startsWith)) {
        unknown.add(key);
      }
    }
    assertThat(unknown).as("keys Flink would silently ignore").isEmpty();
  }

  private static JsonNode servedVersion() {
    for (JsonNode version : crd.path("spec").path("versions")) {
      if (version.path("served").asBoolean() && version.path("storage").asBoolean()) {
        return version;
      }
    }
    throw new IllegalStateException("the CRD has no served storage version");
  }

  /**
   * The CRD's OpenAPI v3 schema as a JSON schema that rejects unknown fields: every object schema
   * that lists properties and does not preserve unknown fields gets {@code additionalProperties:
   * false}. The root also admits apiVersion, kind and metadata, which Kubernetes validates itself.
   */
  static JsonNode strictJsonSchema(JsonNode openApi) {
    ObjectNode schema = openApi.deepCopy();
    ObjectNode root = (ObjectNode) schema.path("properties");
    root.putObject("apiVersion").put("type", "string");
    root.putObject("kind").put("type", "string");
    root.putObject("metadata").put("type", "object");
    rejectUnknownFields(schema);
    return schema;
  }

  private static void rejectUnknownFields(JsonNode node) {
    if (!(node instanceof ObjectNode schema)) {
      return;
    }
    if (schema.has("properties") && !schema.has("additionalProperties")
        && !schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
      schema.put("additionalProperties", false);
    }
    schema.path("properties").forEach(FlinkDeploymentSchemaTest::rejectUnknownFields);
    rejectUnknownFields(schema.path("items"));
    rejectUnknownFields(schema.path("additionalProperties"));
    for (String combinator : List.of("anyOf", "allOf", "oneOf")) {
      if (schema.path(combinator) instanceof ArrayNode alternatives) {
        alternatives.forEach(FlinkDeploymentSchemaTest::rejectUnknownFields);
      }
    }
  }

  /** Keys (and fallback keys) of every ConfigOption constant in Flink's *Options classes on the class path. */
  private static Set<String> knownFlinkOptionKeys() throws IOException {
    Set<String> keys = new HashSet<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      if (!entry.endsWith(".jar") || !path.getFileName().toString().startsWith("flink-") || !Files.isRegularFile(path)) {
        continue;
      }
      try (JarFile jar = new JarFile(path.toFile())) {
        for (String name : jar.stream().map(e -> e.getName()).toList()) {
          if (name.startsWith("org/apache/flink/") && name.endsWith("Options.class") && !name.contains("$")) {
            addKeys(name.substring(0, name.length() - ".class".length()).replace('/', '.'), keys);
          }
        }
      }
    }
    return keys;
  }

  private static void addKeys(String className, Set<String> keys) {
    Class<?> type;
    try {
      type = Class.forName(className);
    } catch (Throwable notLoadable) {
      return; // an optional dependency of that class is absent: its options are not used here
    }
    for (Field field : type.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && ConfigOption.class.isAssignableFrom(field.getType())) {
        try {
          ConfigOption<?> option = (ConfigOption<?>) field.get(null);
          keys.add(option.key());
          for (FallbackKey fallback : option.fallbackKeys()) {
            keys.add(fallback.getKey());
          }
        } catch (IllegalAccessException | RuntimeException | LinkageError e) {
          // not a readable constant
        }
      }
    }
  }
}
