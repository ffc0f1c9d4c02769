package dev.pestream.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pestream.jobs.run.ExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pestream models list|verify} on a models home holding the tiny-random bundle as a pull
 * installs it (with a {@code source} section), and the one-line errors of {@code models}.
 * {@code models pull} itself needs the exporter's torch venv: models/export/tests/test_pull.py.
 */
class ModelsCommandTest {
  private static final Path TINY = Path.of("..", "models", "bundles", "tiny-random");
  private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

  @TempDir Path home;
  private Path fp32;

  private record Result(int code, String out, String err) {}

  @BeforeEach
  void install() throws IOException {
    fp32 = Files.createDirectories(home.resolve("pe-av-small/fp32"));
    try (Stream<Path> files = Files.list(TINY)) {
      for (Path f : files.toList()) {
        Files.copy(f, fp32.resolve(f.getFileName()));
      }
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(fp32.resolve("manifest.json").toFile());
    manifest.set("source", json.readTree("""
        {"endpoint": "http://127.0.0.1:1", "checkpoints": [{"repoId": "facebook/pe-av-small", "revision": "main",
         "commit": "%s"}], "parity": {"precision": "fp32", "threshold": 0.9999, "minCosine": 0.9999873, "passed": true}}
        """.formatted(COMMIT)));
    json.writerWithDefaultPrettyPrinter().writeValue(fp32.resolve("manifest.json").toFile(), manifest);
  }

  @Test
  void listShowsEachInstalledBundleWithCommitAndParity() {
    Result r = execute("models", "list", "--models-home", home.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("pe-av-small/fp32").contains("pestream/tiny-random").contains("0123456789ab")
        .contains("ok 0.9999873");
  }

  @Test
  void verifyChecksEveryFileByNameOrFolder() throws IOException {
    Result byName = execute("models", "verify", "pe-av-small", "--models-home", home.toString());
    assertThat(byName.code()).as(byName.err()).isZero();
    assertThat(byName.out()).startsWith("ok: ").contains("files match their sha256").contains("parity min cos 0.9999873");
    assertThat(execute("models", "verify", fp32.toString(), "--models-home", home.resolve("empty").toString()).code())
        .isZero();

    byte[] graph = Files.readAllBytes(fp32.resolve("audio_encoder.onnx"));
    graph[graph.length - 1] ^= 1;
    Files.write(fp32.resolve("audio_encoder.onnx"), graph);
    expectError(ExitCode.MODEL_BUNDLE, "sha256", "models", "verify", "pe-av-small", "--models-home", home.toString());
  }

  @Test
  void oneLineErrors() {
    expectError(ExitCode.MODEL_BUNDLE, "no such folder or installed model: nope",
        "models", "verify", "nope", "--models-home", home.toString());
    expectError(ExitCode.USAGE, "--token must be env:NAME or file:PATH",
        "models", "pull", "facebook/pe-av-small", "--token", "hf_abc");
    expectError(ExitCode.INPUT, "no exporter in", "models", "pull", "facebook/pe-av-small",
        "--exporter", home.toString());
    expectError(ExitCode.USAGE, "give a subcommand", "models");
    expectError(ExitCode.INPUT, "is not an executable", "models", "pull", "facebook/pe-av-small",
        "--exporter", "../models/export", "--python", home.resolve("no-python").toString());
  }

  private static void expectError(ExitCode code, String message, String... args) {
    Result r = execute(args);
    assertThat(r.err().lines().toList()).as("stderr of %s", String.join(" ", args)).hasSize(1);
    assertThat(r.err()).startsWith("error: ").contains(message).doesNotContain("Exception");
    assertThat(r.code()).isEqualTo(code.code());
  }

  private static Result execute(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = PestreamCli.commandLine();
    cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
