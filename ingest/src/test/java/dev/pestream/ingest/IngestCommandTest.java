package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.ingest.DurationConverter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line without a broker: parsing, validation and the failures that come before Kafka. */
class IngestCommandTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    CommandLine ingest =
        new CommandLine(
            new IngestCommand(
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                IngestProgress.silent(),
                new AtomicBoolean()));
    StringWriter picocliErr = new StringWriter();
    ingest.setErr(new PrintWriter(picocliErr));
    int code = ingest.execute(args);
    err.writeBytes(picocliErr.toString().getBytes(StandardCharsets.UTF_8));
    return code;
  }

  private String errors() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void requiresStreamTopicAndBootstrap() {
    assertThat(run("clip.mp4")).isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).contains("--topic").contains("--bootstrap");
    err.reset();
    assertThat(run("clip.mp4", "--topic", "t", "--bootstrap", "h:1")).isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).startsWith("error: Missing required option: '--stream-id' (give SOURCE and --stream-id, or --sources FILE");
    err.reset();
    assertThat(run("--stream-id", "s", "--topic", "t", "--bootstrap", "h:1")).isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).startsWith("error: no SOURCE given");
  }

  @Test
  void aSourcesFileWithATypoFailsAtStartWithItsLine() throws Exception {
    Path sources = Files.writeString(dir.resolve("sources.yaml"),
        "sources:\n  - stream-id: a\n    url: http://cam/a.ts\n    chunk-duraton: 2s\n");
    assertThat(run("--sources", sources.toString(), "--topic", "t", "--bootstrap", "localhost:1"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).as("one line, before Kafka is asked").isEqualTo("error: " + sources
        + ":4: unknown key 'chunk-duraton' in a source (known: stream-id, url, file, chunk-duration, transcode,"
        + " video-bitrate, container, audio-format, realtime, live, max-reconnects, io-timeout)"
        + " (fix the sources file; its format is in ingest/README.md)\n");
    err.reset();
    assertThat(run("--sources", dir.resolve("none.yaml").toString(), "--topic", "t", "--bootstrap", "localhost:1"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).isEqualTo("error: " + dir.resolve("none.yaml") + ": no such sources file"
        + " (fix the sources file; its format is in ingest/README.md)\n");
  }

  @Test
  void aSourcesFileReplacesTheSingleSourceOptions() throws Exception {
    Path sources = Files.writeString(dir.resolve("ok.yaml"), "sources:\n  - {stream-id: a, url: 'http://cam/a.ts'}\n");
    assertThat(run("clip.mp4", "--sources", sources.toString(), "--topic", "t", "--bootstrap", "h:1"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).startsWith("error: --sources replaces SOURCE and --stream-id");
    err.reset();
    assertThat(run("--sources", sources.toString(), "--chunk-duration", "2s", "--topic", "t", "--bootstrap", "h:1"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).startsWith("error: --chunk-duration is a per-source setting (with --sources put it under"
        + " 'defaults:' or in a source of the file)");
  }

  @Test
  void rejectsBadValues() {
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "--chunk-duration", "soon"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).contains("'soon' is not a duration");
    err.reset();
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "--chunk-duration", "50ms"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).contains("chunk duration must be within 0.1 s .. 60 s");
    err.reset();
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "--container", "avi"))
        .isEqualTo(IngestExitCodes.USAGE);
  }

  @Test
  void rejectsBadWireFormatSettingsBeforeAnythingStarts() {
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "--wire-format", "registry"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).startsWith("error: records.wire-format=registry needs records.registry.url")
        .contains("--registry-url");
    err.reset();
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "--wire-format", "confluent"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).contains("unknown wire format 'confluent': use one of single-object, registry");
    err.reset();
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "--wire-format", "registry",
        "--registry-url", "http://r:8081", "-D", "records.registry.basic-auth=hunter2"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).contains("env:VARIABLE or file:/path").doesNotContain("hunter2");
    err.reset();
    assertThat(run("x.mp4", "--stream-id", "s", "--topic", "t", "--bootstrap", "h:1", "-D", "kafka.acks=0"))
        .isEqualTo(IngestExitCodes.USAGE);
    assertThat(errors()).contains("-D takes records.registry.* settings only");
  }

  @Test
  void anUnreadableSourceExitsWithItsOwnCode() {
    Path missing = dir.resolve("missing.mp4");
    assertThat(run(missing.toString(), "--stream-id", "s", "--topic", "t", "--bootstrap", "localhost:1"))
        .isEqualTo(IngestExitCodes.SOURCE_UNREADABLE);
    assertThat(errors()).contains("no such file").contains("missing.mp4");
  }

  @Test
  void aFileThatIsNotMediaFailsBeforeKafkaIsAsked() throws Exception {
    Path text = Files.writeString(dir.resolve("x.mp4"), "not a video");
    assertThat(run(text.toString(), "--stream-id", "s", "--topic", "t", "--bootstrap", "localhost:1"))
        .isEqualTo(IngestExitCodes.SOURCE_UNREADABLE);
    assertThat(errors()).startsWith("error: cannot open").contains("x.mp4").doesNotContain("Kafka");
  }

  @Test
  void anUnreachableBrokerExitsWithAClearMessage() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // free again once closed: nothing listens there
    }
    Path clip = Files.write(dir.resolve("clip.wav"), wav());
    SourceProbe.check(clip.toString(), false); // FFmpeg's natives load before the clock starts, whatever the test order
    long started = System.nanoTime();
    int code =
        run(clip.toString(), "--stream-id", "s", "--topic", "t", "--bootstrap", "127.0.0.1:" + port,
            "--broker-timeout", "1500ms", "--blob-dir", dir.resolve("blobs").toString());
    assertThat(code).isEqualTo(IngestExitCodes.KAFKA_UNAVAILABLE);
    assertThat(errors()).contains("cannot reach Kafka at 127.0.0.1:" + port + ": Connection refused");
    // a refused connection is told at once, not after the broker timeout
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  /** A tenth of a second of silence, 8 kHz mono 16-bit WAV: media FFmpeg opens. */
  private static byte[] wav() {
    int samples = 800;
    ByteBuffer b = ByteBuffer.allocate(44 + 2 * samples).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + 2 * samples).put("WAVE".getBytes(StandardCharsets.US_ASCII));
    b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
        .putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2 * samples);
    return b.array();
  }

  @Test
  void parsesDurations() {
    assertThat(DurationConverter.parse("1s")).isEqualTo(Duration.ofSeconds(1));
    assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(DurationConverter.parse("2.5s")).isEqualTo(Duration.ofMillis(2500));
    assertThat(DurationConverter.parse("2")).isEqualTo(Duration.ofSeconds(2));
    assertThat(DurationConverter.parse("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(DurationConverter.parse("PT0.25S")).isEqualTo(Duration.ofMillis(250));
  }
}
