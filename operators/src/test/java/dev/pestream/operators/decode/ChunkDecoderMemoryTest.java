package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Thousands of decodes, good and bad, must not grow the process's resident memory. */
class ChunkDecoderMemoryTest {
  private static final int WARMUP = 400;
  private static final int TOTAL = 3000;
  private static final long MAX_GROWTH_KB = 24 * 1024;

  @Test
  void residentMemoryStaysFlatOverThousandsOfChunks() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx64m");
    command.add("-XX:+UseSerialGC");
    command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    String cacheDir = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cacheDir != null) {
      command.add("-Dorg.bytedeco.javacpp.cachedir=" + cacheDir);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(DecodeLoop.class.getName());
    command.add(Integer.toString(WARMUP));
    command.add(Integer.toString(TOTAL));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = readAll(process);
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();

    Matcher m = Pattern.compile("decoded=(\\d+) failed=(\\d+) warmRssKb=(\\d+) endRssKb=(\\d+)").matcher(output);
    assertThat(m.find()).as(output).isTrue();
    long decoded = Long.parseLong(m.group(1));
    long failed = Long.parseLong(m.group(2));
    long warm = Long.parseLong(m.group(3));
    long end = Long.parseLong(m.group(4));
    System.out.printf("decoded %d, failed %d, RSS %d MB after warm-up -> %d MB after %d chunks%n",
        decoded, failed, warm / 1024, end / 1024, TOTAL);
    assertThat(decoded).isEqualTo(TOTAL / 2);
    assertThat(failed).isEqualTo(TOTAL / 2);
    assertThat(end - warm).as("RSS growth in kB over %d chunks", TOTAL - WARMUP).isLessThan(MAX_GROWTH_KB);
  }

  private static String readAll(Process process) throws IOException {
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
