package dev.pestream.tests.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaging contract between the job jar (jobs/, classifier {@code job}) and the cluster's
 * lib/ (flink-lib/): the jar carries the project, the Kafka connector and client, and Avro; Flink,
 * the native-library jars (ONNX Runtime, JavaCPP/FFmpeg, DJL tokenizers, JNA) and the embedded
 * test broker stay out of it; no class is in both.
 */
class JobJarITCase {
  private static Path jobJar;
  private static List<Path> clusterClasspath;

  @BeforeAll
  static void locate() throws IOException {
    jobJar = Path.of(System.getProperty("pestream.cluster.job-jar", "missing"));
    assertThat(jobJar).as("job jar (mvn -pl tests -am verify)").isRegularFile();
    Path classpathFile = Path.of(System.getProperty("pestream.cluster.classpath-file", "missing"));
    clusterClasspath = Arrays.stream(Files.readString(classpathFile).trim().split(File.pathSeparator))
        .map(Path::of).toList();
  }

  @Test
  void carriesTheProjectTheKafkaConnectorAndAvro() throws IOException {
    Set<String> entries = entries(jobJar);
    assertThat(entries).contains(
        "dev/pestream/jobs/PerceptionJob.class",
        "dev/pestream/jobs/run/JobLauncher.class",
        "dev/pestream/connectors/kafka/ParseRecords.class",
        "dev/pestream/schemas/MediaChunk.class",
        "org/apache/flink/connector/kafka/sink/KafkaSink.class",
        "org/apache/kafka/clients/producer/KafkaProducer.class",
        "org/apache/avro/Schema.class",
        "picocli/CommandLine.class");
  }

  @Test
  void leavesFlinkNativeLibrariesAndTheTestBrokerOut() throws IOException {
    List<String> forbidden = List.of(
        "org/apache/flink/runtime/", "org/apache/flink/streaming/api/", "org/apache/flink/api/common/",
        "org/apache/flink/connector/base/", "org/apache/flink/metrics/",
        "ai/onnxruntime/", "org/bytedeco/", "ai/djl/", "com/sun/jna/",
        "kafka/", "org/apache/kafka/server/common/", "org/apache/kafka/raft/", "org/apache/kafka/metadata/",
        "org/apache/kafka/storage/", "org/apache/kafka/coordinator/",
        "scala/", "org/apache/logging/", "org/slf4j/",
        "dev/pestream/ingest/", "dev/pestream/testing/", "dev/pestream/jobs/cli/", "dev/pestream/jobs/demo/");
    Set<String> leaked = entries(jobJar).stream()
        .filter(e -> e.endsWith(".class") && forbidden.stream().anyMatch(e::startsWith))
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(leaked).as("classes that belong to the cluster or to tests").isEmpty();
  }

  @Test
  void noClassIsBothInTheJobJarAndOnTheClusterClasspath() throws IOException {
    Set<String> cluster = new HashSet<>();
    for (Path jar : clusterClasspath) {
      cluster.addAll(entries(jar));
    }
    Set<String> both = entries(jobJar).stream()
        .filter(e -> e.endsWith(".class") && !e.startsWith("META-INF/") && cluster.contains(e))
        .collect(Collectors.toCollection(TreeSet::new));
    assertThat(both).as("classes shipped twice (the cluster's copy wins for org.apache.flink.*)").isEmpty();
    assertThat(cluster).as("the native-library jars are on the cluster's class path (lib/)")
        .contains("ai/onnxruntime/OrtEnvironment.class", "org/bytedeco/javacpp/Loader.class",
            "org/bytedeco/ffmpeg/global/avcodec.class", "org/bytedeco/javacv/FFmpegFrameGrabber.class",
            "ai/djl/huggingface/tokenizers/HuggingFaceTokenizer.class");
  }

  @Test
  void mainClassOfTheManifestIsAJobEntryPointInTheJar() throws Exception {
    String mainClass;
    try (JarFile jar = new JarFile(jobJar.toFile())) {
      mainClass = jar.getManifest().getMainAttributes().getValue("Main-Class");
    }
    assertThat(mainClass).isNotBlank();
    assertThat(entries(jobJar)).contains(mainClass.replace('.', '/') + ".class");
    URL[] urls = clusterClasspath.stream().map(JobJarITCase::url).toArray(URL[]::new);
    try (URLClassLoader lib = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        URLClassLoader job = new URLClassLoader(new URL[] {url(jobJar)}, lib)) {
      Method main = Class.forName(mainClass, false, job).getMethod("main", String[].class);
      assertThat(Modifier.isStatic(main.getModifiers())).isTrue();
    }
  }

  private static Set<String> entries(Path jar) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.stream().map(e -> e.getName()).collect(Collectors.toSet());
    }
  }

  private static URL url(Path path) {
    try {
      return path.toUri().toURL();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
