package dev.pestream.operators.decode;

import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes a mix of good and bad chunks many times and prints the process's resident memory
 * after a warm-up and at the end ({@link ChunkDecoderMemoryTest} runs it in a child JVM with a
 * small fixed heap, so growth in resident memory is native growth).
 */
public final class DecodeLoop {
  private DecodeLoop() {}

  public static void main(String[] args) throws Exception {
    int warmup = Integer.parseInt(args[0]);
    int total = Integer.parseInt(args[1]);
    Path dir = Files.createTempDirectory("decode-loop");
    List<byte[]> chunks = new ArrayList<>();
    chunks.add(SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MP4_MOOV_AT_END).size(64, 48).duration(0.4).tone(0.1, 0.3, 440), dir));
    chunks.add(SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).size(64, 48).duration(0.4), dir));
    chunks.add(SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WEBM).size(64, 48).duration(0.4), dir));
    chunks.add(SyntheticMedia.generate(SyntheticMedia.spec().container(Container.FLAC).duration(0.4), dir));
    byte[] ts = chunks.get(1);
    chunks.add(Arrays.copyOf(ts, ts.length / 2)); // truncated
    byte[] corrupt = chunks.get(0).clone();
    for (int i = corrupt.length / 3; i < corrupt.length / 2; i += 97) {
      corrupt[i] ^= 0x5a;
    }
    chunks.add(corrupt);
    chunks.add("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://127.0.0.1:9/x.ts\n".getBytes(StandardCharsets.UTF_8));
    chunks.add(new byte[] {1, 2, 3});

    int ok = 0;
    int failed = 0;
    long warmRss = 0;
    try (ChunkDecoder decoder =
        new ChunkDecoder(DecodeLimits.defaults(), FramePolicy.parse("uniform:8", 1_000_000, 500_000), VideoPreprocessing.pe(64))) {
      for (int i = 0; i < total; i++) {
        if (i == warmup) {
          System.gc();
          warmRss = rssKb();
        }
        try {
          decoder.decode(chunks.get(i % chunks.size()), i * 400_000L, 400_000, "mpegts");
          ok++;
        } catch (DecodeException e) {
          failed++;
        }
      }
    }
    System.gc();
    System.out.println("decoded=" + ok + " failed=" + failed + " warmRssKb=" + warmRss + " endRssKb=" + rssKb());
  }

  static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
