package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks that name other resources (playlists, concat scripts) must never make FFmpeg open them:
 * a listener on 127.0.0.1 counts connection attempts, and a valid local media file is referenced
 * too, which would decode if it were ever opened.
 */
class UntrustedChunkTest {
  @TempDir Path dir;

  private ServerSocket listener;
  private final AtomicInteger connections = new AtomicInteger();
  private Thread acceptor;
  private String http;
  private String localMedia;

  @BeforeEach
  void listen() throws Exception {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor =
        new Thread(
            () -> {
              while (!listener.isClosed()) {
                try (Socket s = listener.accept()) {
                  connections.incrementAndGet();
                } catch (SocketException closed) {
                  return;
                } catch (IOException ignored) {
                  // keep counting
                }
              }
            },
            "untrusted-chunk-listener");
    acceptor.setDaemon(true);
    acceptor.start();
    http = "http://127.0.0.1:" + listener.getLocalPort();
    Path wav = dir.resolve("local.wav");
    Files.write(wav, SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WAV).duration(0.5), dir));
    localMedia = wav.toUri().toString();
  }

  @AfterEach
  void close() throws Exception {
    listener.close();
    acceptor.join(2000);
  }

  private List<byte[]> hostileChunks() {
    String hls =
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
            + "#EXTINF:1.0,\n" + http + "/segment0.ts\n"
            + "#EXTINF:1.0,\nfile:///etc/passwd\n"
            + "#EXTINF:1.0,\n" + localMedia + "\n"
            + "#EXT-X-ENDLIST\n";
    String concat =
        "ffconcat version 1.0\n"
            + "file '" + http + "/a.ts'\n"
            + "file 'file:///etc/passwd'\n"
            + "file '" + localMedia + "'\n"
            + "file '" + dir.resolve("local.wav") + "'\n";
    String hlsToHttpOnly = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n" + http + "/only.ts\n#EXT-X-ENDLIST\n";
    String concatToFileOnly = "ffconcat version 1.0\nfile 'file:///etc/passwd'\n";
    return List.of(
        hls.getBytes(StandardCharsets.UTF_8),
        concat.getBytes(StandardCharsets.UTF_8),
        hlsToHttpOnly.getBytes(StandardCharsets.UTF_8),
        concatToFileOnly.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void playlistsAndConcatScriptsAreRejectedWithoutOpeningAnything() throws Exception {
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(16))) {
      for (byte[] chunk : hostileChunks()) {
        boolean isConcat = new String(chunk, StandardCharsets.UTF_8).startsWith("ffconcat");
        for (String hint : new String[] {null, "mpegts", "mp4", "hls", "concat"}) {
          // FFmpeg itself refuses to detect HLS without an .m3u8 name; a concat script is detected
          // and refused by the allow-list.
          assertThatThrownBy(() -> decoder.decode(chunk, 0, 0, hint))
              .isInstanceOfSatisfying(
                  DecodeException.class,
                  e -> assertThat(e.failure())
                      .isEqualTo(isConcat ? DecodeFailure.FORMAT_NOT_ALLOWED : DecodeFailure.UNREADABLE))
              .hasMessageContaining(isConcat ? "demuxer 'concat' is not allowed" : "no demuxer recognises");
        }
      }
    }
    Thread.sleep(200); // let the acceptor count any straggler
    assertThat(connections.get()).as("connections that reached the listener").isZero();
  }

  @Test
  void evenWithPlaylistDemuxersAllowedNothingIsOpened() throws Exception {
    // Allow (and let the hint force) the playlist demuxers, to prove that the nested-open guard
    // and the empty protocol whitelist hold on their own.
    var wide =
        new SandboxedInput.DemuxerPolicy(
            SandboxedInput.parseDemuxers(SandboxedInput.DEFAULT_ALLOWED_DEMUXERS + ",hls,concat"),
            SandboxedInput.parseDemuxers("hls,concat"));
    try (ChunkDecoder decoder =
        new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(16), wide)) {
      List<byte[]> chunks = hostileChunks();
      for (int i = 0; i < chunks.size(); i++) {
        byte[] chunk = chunks.get(i);
        String hint = i % 2 == 0 ? "hls" : "concat";
        assertThatThrownBy(() -> decoder.decode(chunk, 0, 0, hint))
            .isInstanceOfSatisfying(
                DecodeException.class,
                e -> assertThat(e.failure()).isIn(DecodeFailure.EXTERNAL_REFERENCE, DecodeFailure.UNREADABLE));
      }
      assertThatThrownBy(() -> decoder.decode(chunks.get(2), 0, 0, "hls"))
          .isInstanceOfSatisfying(
              DecodeException.class, e -> assertThat(e.failure()).isEqualTo(DecodeFailure.EXTERNAL_REFERENCE))
          .hasMessageContaining(http + "/only.ts")
          .hasMessageContaining("refused");
    }
    Thread.sleep(200);
    assertThat(connections.get()).as("connections that reached the listener").isZero();
  }
}
