package dev.pestream.tests.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pestream.jobs.cli.PestreamCli;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.media.SrtListener;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pestream demo --input srt://...}: a live source demoed directly. The ffmpeg program
 * sends a clip with a 1 kHz tone over [4, 5) s and [8, 9) s as an SRT listener; the demo ingests
 * it live for {@code --duration 11s}, then ends on its own with exit 0 and a report whose beep
 * spans sit at the clip's times (the listener starts the clip when the demo connects). The same
 * clip piped into {@code --input -} gives the same spans on stream "stdin".
 */
@ExtendWith(KafkaClientLeakCheck.class)
class DemoLiveInputITCase {
  private static final long SECOND = 1_000_000;

  @TempDir Path dir;

  @Test
  void aLiveSrtSourceIsDemoedDirectly() throws Exception {
    Path clip = beeps("beeps.ts", 30);
    Path report = dir.resolve("report.json");
    String printed;
    try (SrtListener srt = SrtListener.start(clip)) {
      printed = runDemo(System.in, "--input", srt.url(), "--duration", "11s", "--prompt", "beep",
          "--report", report.toString(), "--work-dir", dir.resolve("work").toString());
    }
    assertThat(printed).contains("Ingesting " + "srt://127.0.0.1").contains("live for 11 s").contains("Summary per stream");
    assertTwoBeeps(report, "127.0.0.1", printed);
  }

  /** {@code pestream demo --input -}: a clip piped into the demo (as {@code ffmpeg ... -f mpegts - | pestream demo --input -}). */
  @Test
  void aClipOnStdinIsDemoed() throws Exception {
    Path clip = beeps("piped.ts", 12);
    Path report = dir.resolve("stdin-report.json");
    String printed;
    try (InputStream piped = Files.newInputStream(clip)) {
      printed = runDemo(piped, "--input", "-", "--prompt", "beep", "--report", report.toString(),
          "--work-dir", dir.resolve("work-stdin").toString());
    }
    assertThat(printed).contains("Ingesting stdin as stream 'stdin'");
    assertTwoBeeps(report, "stdin", printed);
  }

  /** {@code pestream demo ARGS} in this JVM with {@code stdin}; it must exit 0. Returns what it printed. */
  private static String runDemo(InputStream stdin, String... args) {
    InputStream originalIn = System.in;
    PrintStream originalOut = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try {
      System.setIn(stdin);
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      exit = PestreamCli.run(Stream.concat(Stream.of("demo"), Arrays.stream(args))
          .toArray(String[]::new));
    } finally {
      System.setIn(originalIn);
      System.setOut(originalOut);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    assertThat(exit).as(printed).isZero();
    return printed;
  }

  /** The report holds the clip's two beeps, [4, 5) s and [8, 9) s, on {@code streamId}, each within a frame. */
  private static void assertTwoBeeps(Path report, String streamId, String printed) throws Exception {
    JsonNode root = new ObjectMapper().readTree(report.toFile());
    List<JsonNode> beeps = StreamSupport.stream(root.at("/topics/spans/records").spliterator(), false)
        .filter(s -> s.get("state").asText().equals("CLOSED") && s.get("promptId").asText().equals("beep")).toList();
    assertThat(beeps).as(printed).hasSize(2);
    for (int i = 0; i < 2; i++) {
      long start = (4 + 4L * i) * SECOND;
      assertThat(beeps.get(i).get("streamId").asText()).isEqualTo(streamId);
      assertThat(beeps.get(i).get("startUs").asLong()).as("beep %d", i).isBetween(start - 40_000, start + 40_000);
      assertThat(beeps.get(i).get("endUs").get("long").asLong()).isBetween(start + SECOND - 40_000, start + SECOND + 80_000);
    }
  }

  /** An MPEG-TS clip, blue picture, with a 1 kHz tone over [4, 5) s, [8, 9) s, ... */
  private Path beeps(String name, int seconds) throws Exception {
    Path clip = dir.resolve(name);
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=160x120:r=25",
        "-f", "lavfi", "-i", "aevalsrc='if(gte(t\\,4)*lt(mod(t\\,4)\\,1)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:c=mono",
        "-t", Integer.toString(seconds), "-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-c:a", "aac",
        "-f", "mpegts", clip.toString());
    return clip;
  }

  private void ffmpeg(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"));
    command.addAll(List.of(args));
    Path log = dir.resolve("ffmpeg.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(log)).isZero();
  }
}
