package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.blob.BlobReader;
import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaTestClient;
import dev.pestream.testing.media.LiveHlsServer;
import dev.pestream.testing.media.SrtListener;
import dev.pestream.testing.media.VlcRtspServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Live ingestion from real servers started from Debian's packages: VLC's RTSP server, an SRT
 * listener (the ffmpeg program with libsrt) and a growing HLS playlist (ffmpeg's HLS muxer behind
 * nginx), all three at once. Each is ingested live for {@link #RUN}; the server is restarted
 * {@link #RESTART_AT} into the run. Then every chunk is in Kafka, in order, without overlap (no
 * duplicates), the chunk after the reconnect is marked as a discontinuity, every chunk decodes
 * through the job's decoder, and every tone onset sits on its video marker within one frame.
 *
 * <p>The clip (made with the ffmpeg program): 25 fps blue video that turns red for one second
 * every 4 s, from 4 s on, with a 1 kHz tone over exactly the red seconds. A live source is joined
 * wherever it is, so the stream clock of the tone is checked against the clip's own marker: the
 * red frames' times on the same stream clock. (The decode stage, not the whole job: the
 * MiniCluster job adds nothing to where a chunk's samples and frames land.)
 */
@ExtendWith(KafkaBrokerExtension.class)
class LiveServersITCase {
  private static final Duration RUN = Duration.ofSeconds(25);
  private static final Duration RESTART_AT = Duration.ofSeconds(10);
  private static final Duration DOWN = Duration.ofSeconds(2);
  private static final long FRAME_US = 40_000;
  /** How much sound (or picture) around a marker (or tone) it takes to check it. */
  private static final long AROUND_US = 300_000;
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(16);
  private static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);

  private static KafkaTestClient kafka;
  private static Path dir;
  private static Path clip;

  @BeforeAll
  static void start(KafkaTestClient client) throws Exception {
    kafka = client;
    dir = Files.createTempDirectory("live-servers-it");
    clip = dir.resolve("markers.ts");
    LiveMedia.ffmpeg(dir, "-f", "lavfi", "-i",
        "color=c=blue:s=160x120:r=25,drawbox=c=red:t=fill:enable='" + LiveMedia.MARKED + "'",
        "-f", "lavfi", "-i", "aevalsrc='if(" + LiveMedia.MARKED + ",0.5*sin(2*PI*1000*t),0)':s=48000:c=mono",
        "-t", "60", "-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-tune", "zerolatency",
        "-c:a", "aac", "-b:a", "64k", "-f", "mpegts", clip.toString());
  }


  @Test
  void rtspSrtAndHlsAreIngestedLiveThroughAServerRestart() throws Exception {
    try (VlcRtspServer rtsp = VlcRtspServer.start(clip);
        SrtListener srt = SrtListener.start(clip);
        LiveHlsServer hls = LiveHlsServer.start(clip, 3)) {
      CompletableFuture<LiveRun> rtspRun = runAsync("rtsp", rtsp.url(), () -> rtsp.restart(DOWN));
      CompletableFuture<LiveRun> srtRun = runAsync("srt", srt.url(), () -> srt.restart(DOWN));
      CompletableFuture<LiveRun> hlsRun = runAsync("hls", hls.url(), () -> hls.restartHttp(DOWN));
      for (LiveRun run : List.of(rtspRun.get(), srtRun.get(), hlsRun.get())) {
        check(run);
      }
    }
  }

  interface Restart {
    void run() throws Exception;
  }

  record LiveRun(String name, String url, IngestSummary summary, String messages, List<MediaChunk> chunks) {}

  private static CompletableFuture<LiveRun> runAsync(String name, String url, Restart restart) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return ingestLive(name, url, restart);
      } catch (Exception e) {
        throw new IllegalStateException(name + ": " + e, e);
      }
    });
  }

  private static LiveRun ingestLive(String name, String url, Restart restart) throws Exception {
    String topic = kafka.newTopic("live-" + name, 1);
    ByteArrayOutputStream messages = new ByteArrayOutputStream();
    IngestProgress progress = new IngestProgress(new PrintStream(messages, true, StandardCharsets.UTF_8), false);
    IngestSettings settings = IngestSettings.builder(url)
        .live(true)
        .ioTimeoutUs(4_000_000)
        .reconnectBackoff(250, 1_000)
        .build();
    AtomicBoolean stop = new AtomicBoolean();
    Thread chaos = new Thread(() -> {
      try {
        Thread.sleep(RESTART_AT.toMillis());
        restart.run();
        Thread.sleep(RUN.minus(RESTART_AT).minus(DOWN).toMillis());
      } catch (Exception e) {
        messages.writeBytes(("restart failed: " + e + "\n").getBytes(StandardCharsets.UTF_8));
      } finally {
        stop.set(true);
      }
    }, "restart-" + name);
    IngestSummary summary;
    try (ChunkPublisher publisher = ChunkPublisher.create(kafka.bootstrapServers(), 30_000, topic, name,
        new BlobStore(dir.resolve("blobs").toUri()), ChunkPublisher.DEFAULT_INLINE_MAX_BYTES, 0,
        Map.of(ChunkPublisher.SOURCE_ATTRIBUTE, url))) {
      chaos.start();
      summary = new Ingest(settings, publisher, progress, stop::get).run();
    } finally {
      stop.set(true);
      chaos.join();
    }
    List<MediaChunk> chunks = kafka.readCommittedRecordsSoFar(topic, CODEC, Duration.ofSeconds(30));
    return new LiveRun(name, url, summary, messages.toString(StandardCharsets.UTF_8), chunks);
  }

  private static void check(LiveRun run) throws Exception {
    String about = run.name() + " (" + run.url() + "): " + run.summary() + "\n" + run.messages();
    List<MediaChunk> chunks = run.chunks();
    assertThat(run.summary().reconnects()).as(about).isGreaterThanOrEqualTo(1);
    assertThat(run.messages()).as(about).contains("reconnect");
    assertThat(chunks.size()).as("about a chunk per second of live media: " + about).isGreaterThanOrEqualTo(10);
    for (int i = 0; i < chunks.size(); i++) {
      assertThat(chunks.get(i).getSeq()).as(about).isEqualTo(i);
    }
    List<MediaChunk> marked = chunks.stream().filter(MediaChunk::getDiscontinuity).toList();
    assertThat(marked).as("the first chunk after each reconnect that delivered: " + about)
        .isNotEmpty().hasSizeLessThanOrEqualTo(run.summary().reconnects());
    assertThat(marked.get(0).getSeq()).as(about).isPositive();
    for (int i = 1; i < chunks.size(); i++) {
      MediaChunk before = chunks.get(i - 1);
      MediaChunk chunk = chunks.get(i);
      long previousEnd = before.getStartUs() + before.getDurationUs();
      assertThat(chunk.getStartUs()).as("chunk %d starts where %d ended, no overlap (no duplicate): %s", i, i - 1, about)
          .isGreaterThanOrEqualTo(previousEnd - FRAME_US);
      if (chunk.getDiscontinuity()) {
        assertThat(chunk.getStartUs()).as("the clock goes on past the outage: " + about).isGreaterThan(previousEnd);
      }
    }
    List<DecodedChunk> decoded = new ArrayList<>();
    BlobReader blobs = new BlobReader(dir.resolve("blobs").toUri(), DecodeLimits.DEFAULT_MAX_PAYLOAD_BYTES);
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE)) {
      for (MediaChunk c : chunks) {
        DecodedChunk d = decoder.decode(blobs.payloadOf(c), c.getStartUs(), c.getDurationUs(), c.getContainer());
        assertThat(d.frameCount()).as("chunk %d has pictures: %s", c.getSeq(), about).isPositive();
        if (c.getDurationUs() >= 500_000) { // the last chunk before a drop or the stop may be a few pictures
          assertThat(d.hasAudio()).as("chunk %d has sound: %s", c.getSeq(), about).isTrue();
        }
        d.gapBefore = c.getDiscontinuity();
        decoded.add(d);
      }
    }
    // every marker with sound around it has its tone, and every tone with pictures around it its marker
    int matched = 0;
    for (LiveMedia.Timeline connection : LiveMedia.Timeline.perConnection(decoded, FRAME_US)) {
      List<Long> markers = connection.markerOnsetsUs();
      List<Long> tones = connection.toneOnsetsUs();
      String seen = about + " markers " + markers + ", tones " + tones;
      for (long marker : markers) {
        if (connection.hasAudio(marker - AROUND_US, marker + AROUND_US)) {
          assertThat(tones).as("a tone onset within one frame of the marker at %d us: %s", marker, seen)
              .anySatisfy(tone -> assertThat(Math.abs(tone - marker)).isLessThanOrEqualTo(FRAME_US));
          matched++;
        }
      }
      for (long tone : tones) {
        if (connection.hasVideo(tone - AROUND_US, tone + AROUND_US)) {
          assertThat(markers).as("a marker within one frame of the tone at %d us: %s", tone, seen)
              .anySatisfy(marker -> assertThat(Math.abs(tone - marker)).isLessThanOrEqualTo(FRAME_US));
        }
      }
    }
    assertThat(matched).as("markers checked against their tone: " + about).isGreaterThanOrEqualTo(2);
  }
}
