package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.connectors.blob.BlobReader;
import dev.pestream.testing.kafka.EmbeddedKafkaBroker;
import dev.pestream.connectors.kafka.KafkaTopics;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.operators.testing.DecodedMedia;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The ingest command against a real KRaft broker: file and live sources in, every chunk decodes out. */
class IngestITCase {
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(16);
  private static final RecordCodec<MediaChunk> CODEC = RecordCodec.of(MediaChunk.class);

  private static EmbeddedKafkaBroker broker;
  private static Path dir;

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  @BeforeAll
  static void start() throws Exception {
    broker = EmbeddedKafkaBroker.start();
    dir = Files.createTempDirectory("ingest-it");
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static String newTopic() {
    String name = "media-" + UUID.randomUUID().toString().substring(0, 8);
    KafkaTopics.createIfMissing(broker.bootstrapServers(), new Properties(), List.of(new KafkaTopics.Spec(name, 1, false)));
    return name;
  }

  private int ingest(InputStream stdin, String... args) {
    PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    CommandLine cli = new CommandLine(new IngestCommand(stdin, out, new IngestProgress(out, false), new AtomicBoolean()));
    return cli.execute(args);
  }

  private String messages() {
    return output.toString(StandardCharsets.UTF_8);
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 << 20));
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (records.size() < end && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  private static List<MediaChunk> chunks(List<ConsumerRecord<byte[], byte[]>> records, String streamId) throws Exception {
    List<MediaChunk> chunks = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(streamId);
      chunks.add(CODEC.decode(r.value()));
    }
    for (int i = 0; i < chunks.size(); i++) {
      assertThat(chunks.get(i).getSeq()).as("strictly increasing from 0").isEqualTo(i);
      assertThat(chunks.get(i).getStreamId()).isEqualTo(streamId);
    }
    return chunks;
  }

  private static List<DecodedChunk> decodeAll(List<MediaChunk> chunks, Path blobRoot) throws Exception {
    BlobReader blobs = new BlobReader(blobRoot.toUri(), DecodeLimits.DEFAULT_MAX_PAYLOAD_BYTES);
    List<DecodedChunk> decoded = new ArrayList<>();
    try (ChunkDecoder decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE)) {
      for (MediaChunk c : chunks) {
        decoded.add(decoder.decode(blobs.payloadOf(c), c.getStartUs(), c.getDurationUs(), c.getContainer()));
      }
    }
    return decoded;
  }

  @Test
  void aFileIsIngestedAndEveryChunkDecodesFromTheBroker() throws Exception {
    Path clip = dir.resolve("clip.mp4");
    Files.write(clip, SyntheticMedia.generate(
        SyntheticMedia.spec().container(Container.MP4_MOOV_AT_END).size(320, 240).duration(4).tone(2.5, 3.5, 600), dir));
    Path blobs = dir.resolve("blobs-file");
    String topic = newTopic();

    int code = ingest(null, clip.toString(), "--stream-id", "cam-file", "--topic", topic,
        "--bootstrap", broker.bootstrapServers(), "--inline-max-bytes", "40000", "--blob-dir", blobs.toString());

    assertThat(code).as(messages()).isEqualTo(IngestExitCodes.OK);
    assertThat(messages()).contains("ingested").contains("to topic " + topic).contains("source ended");
    List<MediaChunk> chunks = chunks(readAll(topic), "cam-file");
    assertThat(chunks.size()).isBetween(2, 4);
    assertThat(messages()).contains("ingested " + chunks.size() + " chunks");
    assertThat(chunks).anyMatch(c -> c.getPayload() instanceof BlobRef).anyMatch(c -> c.getPayload() instanceof ByteBuffer);
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.getContainer()).isEqualTo("mpegts");
      assertThat(c.getIngestTimeMs().toEpochMilli()).isCloseTo(System.currentTimeMillis(), within(120_000L));
      assertThat(c.getAttributes()).containsEntry(ChunkPublisher.SOURCE_ATTRIBUTE, clip.toString());
    });
    List<DecodedChunk> decoded = decodeAll(chunks, blobs);
    int frames = 0;
    long onset = -1;
    for (DecodedChunk d : decoded) {
      for (int f = 0; f < d.frameCount(); f++) {
        int source = (int) (d.framePtsUs[f] / 40_000);
        assertThat(d.framePtsUs[f]).isEqualTo(source * 40_000L);
        assertThat(DecodedMedia.paletteIndexOf(d, f, PRE)).isEqualTo(source % 8);
        frames++;
      }
      if (onset < 0) {
        onset = DecodedMedia.onsetUs(d);
      }
    }
    assertThat(frames).isEqualTo(100);
    assertThat(onset).isCloseTo(2_500_000L, within(1000L));
  }

  @Test
  void standardInputAndRealtimePacing() throws Exception {
    byte[] ts = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).duration(2).gop(12)
        .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4), dir);
    String topic = newTopic();
    long started = System.nanoTime();
    int code = ingest(new ByteArrayInputStream(ts), "-", "--stream-id", "cam-stdin", "--topic", topic,
        "--bootstrap", broker.bootstrapServers(), "--realtime", "--blob-dir", dir.resolve("blobs-stdin").toString());
    double wallSeconds = (System.nanoTime() - started) / 1e9;
    assertThat(code).as(messages()).isEqualTo(IngestExitCodes.OK);
    List<MediaChunk> chunks = chunks(readAll(topic), "cam-stdin");
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(2);
    double mediaSeconds = (chunks.get(chunks.size() - 1).getStartUs() + chunks.get(chunks.size() - 1).getDurationUs()
        - chunks.get(0).getStartUs()) / 1e6;
    assertThat(wallSeconds).as("paced at 1x").isGreaterThanOrEqualTo(mediaSeconds * 0.9);
    assertThat(chunks.get(0).getAttributes()).containsEntry(ChunkPublisher.SOURCE_ATTRIBUTE, "stdin");
    assertThat(decodeAll(chunks, dir).stream().mapToInt(DecodedChunk::frameCount).sum()).isEqualTo(50);
  }

  @Test
  void aSourceThatIsNotMediaFailsWithItsExitCode() throws Exception {
    Path text = Files.writeString(dir.resolve("notes.txt"), "these are not the frames you are looking for\n".repeat(40));
    int code = ingest(null, text.toString(), "--stream-id", "s", "--topic", newTopic(), "--bootstrap", broker.bootstrapServers(),
        "--blob-dir", dir.resolve("blobs-none").toString());
    // FFmpeg reads a .txt file as ANSI art "video": not a codec the pipeline decodes.
    assertThat(code).as(messages()).isEqualTo(IngestExitCodes.SOURCE_UNREADABLE);
    assertThat(messages()).contains("error: ").contains("notes.txt").contains("--transcode");
  }

  @Test
  void anUnreachableBrokerFailsWithAClearMessage() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path clip = Files.write(dir.resolve("short.wav"), SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WAV).duration(0.5), dir));
    int code = ingest(null, clip.toString(), "--stream-id", "s", "--topic", "t", "--bootstrap", "127.0.0.1:" + port,
        "--broker-timeout", "2s");
    assertThat(code).isEqualTo(IngestExitCodes.KAFKA_UNAVAILABLE);
    assertThat(messages()).contains("error: cannot reach Kafka at 127.0.0.1:" + port);
  }

  @Test
  void aLiveSourceThatDropsIsReconnectedAndTheHoleIsMarked() throws Exception {
    byte[] first = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).duration(4).gop(12)
        .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4).tone(0.5, 1.0, 500), dir);
    byte[] second = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).duration(3).gop(12)
        .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4).colours(i -> 7 - i % 8), dir);
    AtomicInteger connections = new AtomicInteger();
    try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      Thread serving = new Thread(() -> serve(server, connections, Arrays.copyOf(first, first.length * 6 / 10), second), "live-ts");
      serving.setDaemon(true);
      serving.start();
      String topic = newTopic();
      String url = "http://127.0.0.1:" + server.getLocalPort() + "/live.ts";

      int code = ingest(null, url, "--stream-id", "cam-live", "--topic", topic, "--bootstrap", broker.bootstrapServers(),
          "--max-reconnects", "1", "--io-timeout", "5s", "--blob-dir", dir.resolve("blobs-live").toString());

      assertThat(code).as(messages()).isEqualTo(IngestExitCodes.SOURCE_LOST);
      assertThat(connections.get()).as("dropped, reconnected, then gone").isEqualTo(3);
      assertThat(messages()).contains("reconnect #1").contains("reconnect #2").contains("source lost");
      List<MediaChunk> chunks = chunks(readAll(topic), "cam-live");
      List<MediaChunk> marked = chunks.stream().filter(MediaChunk::getDiscontinuity).toList();
      assertThat(marked).as("exactly the first chunk after the reconnect is marked").hasSize(1);
      int resumed = (int) marked.get(0).getSeq();
      assertThat(resumed).isBetween(1, chunks.size() - 1);
      MediaChunk before = chunks.get(resumed - 1);
      assertThat(marked.get(0).getStartUs()).as("the stream clock goes on after the outage")
          .isGreaterThanOrEqualTo(before.getStartUs() + before.getDurationUs());
      assertThat(marked.get(0).getAttributes()).containsEntry(ChunkPublisher.SOURCE_ATTRIBUTE, url);
      List<DecodedChunk> decoded = decodeAll(chunks, dir);
      int framesAfter = decoded.subList(resumed, decoded.size()).stream().mapToInt(DecodedChunk::frameCount).sum();
      assertThat(framesAfter).as("the whole second stream").isEqualTo(75);
      assertThat(DecodedMedia.paletteIndexOf(decoded.get(resumed), 0, PRE)).isEqualTo(7);
    }
  }

  /** Connection 1: part of a stream, then the socket drops. 2: a whole stream. Then 404s. */
  private static void serve(ServerSocket server, AtomicInteger connections, byte[] partial, byte[] whole) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        int n = connections.incrementAndGet();
        readRequestHead(s.getInputStream());
        OutputStream out = s.getOutputStream();
        if (n > 2) {
          out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          continue;
        }
        out.write("HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] body = n == 1 ? partial : whole;
        for (int off = 0; off < body.length; off += 8192) {
          out.write(body, off, Math.min(8192, body.length - off));
          out.flush();
        }
        if (n == 1) {
          s.setSoLinger(true, 0); // reset, not a clean end
        }
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private static void readRequestHead(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return;
      }
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }
}
