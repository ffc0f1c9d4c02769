package dev.pestream.jobs.cli;

import dev.pestream.jobs.run.ExitCode;
import dev.pestream.ingest.SourceException;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.ContractBundle;
import dev.pestream.models.bundle.ModelsHome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Each command with each kind of bad input ends with one {@code error: } line on stderr, its
 * documented exit code, no stack trace, and before it starts anything (no broker, no job).
 */
class CommandErrorsTest {
  /** Nothing listens on port 1: a refused connection. */
  private static final String UNREACHABLE = "127.0.0.1:1";

  @TempDir static Path dir;
  private static Path bundle;
  private static Path notBundle;
  private static Path notMedia;
  private static Path media;
  private static Path ansiArt;
  private static String missing;

  private record Result(int code, String out, String err, Duration took) {}

  @BeforeAll
  static void inputs() throws IOException {
    bundle = ContractBundle.materialize(dir.resolve("bundle"));
    notBundle = Files.createDirectories(dir.resolve("not-a-bundle"));
    Files.writeString(notBundle.resolve("readme.txt"), "no manifest here");
    notMedia = Files.writeString(dir.resolve("x.mp4"), "just text, not a video");
    media = Files.write(dir.resolve("tone.wav"), wav());
    ansiArt = Files.writeString(dir.resolve("notes.txt"), "these are not the frames you are looking for\n".repeat(40));
    missing = dir.resolve("missing.mp4").toString();
  }

  @Test
  void ingest() {
    String[] kafka = {"--stream-id", "s", "--topic", "t", "--bootstrap", UNREACHABLE};
    expect(ExitCode.INPUT, "no such file: " + missing, with("ingest", missing, kafka));
    expect(ExitCode.INPUT, "cannot open " + notMedia, with("ingest", notMedia.toString(), kafka));
    expect(ExitCode.USAGE, "'abc' is not a duration", with("ingest", media.toString(), kafka, "--chunk-duration", "abc"));
    Result unreachable = expect(ExitCode.KAFKA, "cannot reach Kafka at " + UNREACHABLE,
        with("ingest", media.toString(), kafka));
    assertThat(unreachable.took()).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void run() {
    String models = bundle.toString();
    expect(ExitCode.INPUT, "no such file: " + missing, "run", "--models", models, "--config", missing);
    expect(ExitCode.INPUT, "must hold a 'rules:' list", "run", "--models", models, "--rules", notMedia.toString());
    expect(ExitCode.USAGE, "bad value for window.length", "run", "--models", models, "--window", "-1s");
    expect(ExitCode.USAGE, "records.wire-format=registry needs records.registry.url",
        "run", "--models", models, "-D", "records.wire-format=registry");
    expect(ExitCode.MODEL_BUNDLE, "manifest.json is missing", "run", "--models", notBundle.toString());
    Result unreachable = expect(ExitCode.KAFKA, "cannot reach Kafka at " + UNREACHABLE,
        "run", "--models", models, "--bootstrap", UNREACHABLE);
    assertThat(unreachable.took()).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void demoChecksEverythingBeforeItStartsTheBroker() {
    List<Result> results = List.of(
        expect(ExitCode.INPUT, "no such file: " + missing, "demo", "--input", missing),
        expect(ExitCode.INPUT, "cannot open " + notMedia, "demo", "--input", media.toString(), notMedia.toString()),
        // FFmpeg opens a .txt file as ANSI-art video, a codec the job does not decode
        expect(ExitCode.INPUT, "is not one the pipeline decodes", "demo", "--input", ansiArt.toString()),
        expect(ExitCode.USAGE, "--plm-endpoint 'soon' is not an http(s) URL", "demo", "--plm-endpoint", "soon"),
        expect(ExitCode.USAGE, "did you mean --input?", "demo", "--inputs", media.toString()),
        expect(ExitCode.USAGE, "--wire-format: unknown wire format 'avro'", "demo", "--wire-format", "avro"),
        expect(ExitCode.MODEL_BUNDLE, "manifest.json is missing", "demo", "--models", notBundle.toString()),
        // a live source that does not answer; its credentials stay out of the message
        expect(ExitCode.INPUT, "cannot reach rtsp://" + UNREACHABLE + "/door: ", "demo", "--input",
            "rtsp://admin:secret@" + UNREACHABLE + "/door"),
        expect(ExitCode.INPUT, "unknown host no-such-camera.invalid", "demo", "--input", "http://no-such-camera.invalid/live.m3u8"),
        expect(ExitCode.USAGE, "--duration must be positive", "demo", "--input", media.toString(), "--duration", "0s"));
    for (Result r : results) {
      assertThat(r.out()).doesNotContain("Starting a Kafka broker");
      assertThat(r.took()).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void anUnexpectedFailureIsOneLineThatPointsToVerbose() {
    Result r = expect(ExitCode.FAILURE, "(run with --verbose for the details)",
        "demo", "--work-dir", media.resolve("sub").toString());
    assertThat(r.out()).doesNotContain("Starting a Kafka broker");
  }

  @Test
  void verbosePrintsTheStackTrace() {
    for (String[] args : List.of(
        new String[] {"--verbose", "demo", "--input", notMedia.toString()},
        new String[] {"demo", "--input", notMedia.toString(), "--verbose"},
        new String[] {"ingest", missing, "--stream-id", "s", "--topic", "t", "--bootstrap", UNREACHABLE, "--verbose"})) {
      Result r = execute(args);
      assertThat(r.code()).isEqualTo(ExitCode.INPUT.code());
      assertThat(r.err()).startsWith("error: ").contains("SourceException").contains("\tat dev.pestream.");
    }
  }

  @Test
  void consoleAndRules() {
    String models = bundle.toString();
    expect(ExitCode.MODEL_BUNDLE, "manifest.json is missing", "console", "--models", notBundle.toString());
    expect(ExitCode.USAGE, "env:NAME or file:PATH", "console", "--models", models, "--token", "hunter2", "--bootstrap", UNREACHABLE);
    expect(ExitCode.USAGE, "not a TCP port", "console", "--models", models, "--port", "70000", "--bootstrap", UNREACHABLE);
    expect(ExitCode.KAFKA, "cannot reach Kafka at " + UNREACHABLE, "console", "--models", models, "--bootstrap", UNREACHABLE);
    expect(ExitCode.KAFKA, "cannot reach Kafka at " + UNREACHABLE, "console", "--models", installed("console-named"),
        "--bootstrap", UNREACHABLE);
    expect(ExitCode.USAGE, "threshold 1.5 is outside (0, 1)", "rules", "put", "r", "--prompt", "beep", "--threshold", "1.5",
        "--bootstrap", UNREACHABLE);
    expect(ExitCode.USAGE, "streamSelector must be a glob", "rules", "put", "r", "--prompt", "beep", "--streams", "",
        "--bootstrap", UNREACHABLE);
    expect(ExitCode.KAFKA, "cannot reach Kafka at " + UNREACHABLE, "rules", "list", "--bootstrap", UNREACHABLE);
    expect(ExitCode.USAGE, "missing subcommand", "rules");
  }

  /** Installs the contract bundle under {@code name} in the models home the build gives tests ({@value ModelsHome#ENV}). */
  private static String installed(String name) {
    String home = System.getenv(ModelsHome.ENV);
    assertThat(home).as("the build sets " + ModelsHome.ENV + " for tests").isNotBlank();
    Path precision = Path.of(home, name, ModelsHome.DEFAULT_PRECISION);
    if (!Files.isDirectory(precision)) {
      ContractBundle.materialize(precision);
    }
    return name;
  }

  private static String[] with(String command, String source, String[] options, String... more) {
    List<String> args = new ArrayList<>(List.of(command, source));
    args.addAll(List.of(options));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static Result expect(ExitCode code, String message, String... args) {
    Result r = execute(args);
    List<String> lines = r.err().lines().toList();
    assertThat(lines).as("stderr of %s", List.of(args)).hasSize(1);
    assertThat(lines.get(0)).startsWith("error: ").contains(message).endsWith(")")
        .doesNotContain("Exception").doesNotContain("at dev.");
    assertThat(r.code()).as("exit code of %s: %s", List.of(args), lines.get(0)).isEqualTo(code.code());
    return r;
  }

  /** Runs {@code pestream args} in-process; ingest writes its errors to System.err, so that is captured too. */
  private static Result execute(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream systemErr = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(systemErr, true, StandardCharsets.UTF_8));
    long started = System.nanoTime();
    int code;
    try {
      CommandLine cli = PestreamCli.commandLine();
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      code = cli.execute(args);
    } finally {
      System.setErr(originalErr);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    return new Result(code, out.toString(), err + systemErr.toString(StandardCharsets.UTF_8), took);
  }

  /** One second of a 440 Hz tone as 16 kHz mono 16-bit WAV: media FFmpeg opens. */
  static byte[] wav() {
    int rate = 16_000;
    ByteBuffer b = ByteBuffer.allocate(44 + 2 * rate).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + 2 * rate).put("WAVE".getBytes(StandardCharsets.US_ASCII));
    b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
        .putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2 * rate);
    for (int i = 0; i < rate; i++) {
      b.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
    }
    return b.array();
  }
}
