package dev.pestream.tests.captions;

import static dev.pestream.testing.kafka.KafkaTestClient.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.connectors.kafka.KafkaInputSource;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.connectors.kafka.RecordSink;
import dev.pestream.operators.captions.CaptionDeadLetters;
import dev.pestream.operators.captions.CaptionPipeline;
import dev.pestream.operators.captions.CaptionSettings;
import dev.pestream.operators.captions.PromptRule;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodeStage;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.operators.sequence.ChunkSequencer;
import dev.pestream.operators.testing.FakePlmServer;
import dev.pestream.operators.testing.FakePlmServer.Fault;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Captions end to end: video chunks on a real broker → Flink (MiniCluster, parallelism 2) →
 * sequence → decode (with caption frames) → caption windows → a local PLM server that answers
 * 429, 500 and stalls along the way → exactly-once Kafka sink. A task fails once mid-run and
 * the job restores from its checkpoint. Every window ends up with exactly one caption in the
 * read_committed output — the right frames, or an ERROR caption plus a dead letter for a window
 * the server refuses for good — and the server never sees more requests per second than the
 * limit.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class CaptionsITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final String MODEL = "facebook/Perception-LM-1B";
  private static final long S = 1_000_000L;
  private static final int GOOD_STREAMS = 3;
  private static final int GOOD_SECONDS = 30;
  private static final int BAD_SECONDS = 20;
  private static final int CHUNK_SECONDS = 2;
  private static final int FPS = 5;
  private static final int REQUESTS_PER_SECOND = 3;
  private static final int CONCURRENT_REQUESTS = 2;
  private static final String REFUSED = "REFUSE";
  private static final String CAM_2_PROMPT = "What colour is the screen?";
  private static final String RULE_PROMPT = "What does the camera show?";
  private static final RecordCodec<MediaChunk> CHUNKS = RecordCodec.of(MediaChunk.class);
  private static final RecordCodec<Caption> CAPTIONS = RecordCodec.of(Caption.class);
  private static final RecordCodec<DeadLetter> LETTERS = RecordCodec.of(DeadLetter.class);

  /** Failures injected so far (the MiniCluster runs in this JVM). */
  static final AtomicInteger FAILURES = new AtomicInteger();

  @TempDir Path dir;

  /** Palette colour of second {@code t} of good stream {@code s}. */
  private static int colour(int s, int t) {
    return (s + t) % SyntheticMedia.PALETTE.length;
  }

  @Test
  void everyWindowGetsExactlyOneCaptionThroughServerErrorsAndATaskFailure(KafkaTestClient kafka) throws Exception {
    String in = kafka.newTopic("chunks", 2);
    String out = kafka.newTopic("captions", 2);
    String dlq = kafka.newTopic("dead-letters", 1);
    List<byte[][]> records = new ArrayList<>();
    for (int s = 0; s < GOOD_STREAMS; s++) {
      records.addAll(stream("cam-" + s, s, GOOD_SECONDS));
    }
    records.addAll(stream("cam-bad", 0, BAD_SECONDS));
    Collections.shuffle(records, new Random(3)); // the sequencer puts each stream back in order
    kafka.sendRaw(in, records);

    try (FakePlmServer server = FakePlmServer.start(new FakePlmServer.Expectations(MODEL, null, 448, 32))) {
      // Two requests hang past the client's timeout; answers take well under it otherwise, so that
      // the server's view of concurrency is the client's (it cannot see a client give up).
      server.refusePromptsContaining(REFUSED).stallFor(Duration.ofSeconds(5))
          .pattern(n -> n == 4 || n == 13 ? Fault.STALL : n % 4 == 1 ? Fault.TOO_MANY_REQUESTS
              : n % 5 == 2 ? Fault.SERVER_ERROR : Fault.NONE);
      CaptionSettings settings = CaptionSettings.builder()
          .server(s -> s.endpoint(server.baseUrl()).model(MODEL))
          .prompts(p -> p.streamPrompt("cam-2", CAM_2_PROMPT)
              // rules: "cam-?" gives cam-0 and cam-1 their prompt, the refused one reaches cam-bad
              .promptRules(List.of(PromptRule.parse("cam-?=" + RULE_PROMPT),
                  PromptRule.parse("cam-b*=" + REFUSED + " to caption this"))))
          .calls(c -> c.maxConcurrentRequests(CONCURRENT_REQUESTS).requestsPerSecond(REQUESTS_PER_SECOND)
              .requestTimeout(Duration.ofSeconds(4)).captionTimeout(Duration.ofSeconds(60)).maxAttempts(8)
              .initialBackoff(Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(1)).asyncCapacity(4))
          .frames(f -> f.idleTimeout(Duration.ZERO)).build();

      FAILURES.set(0);
      run(kafka, in, out, dlq, settings);
      assertThat(FAILURES).as("the injected task failure happened").hasValue(1);

      List<Caption> captions = kafka.readCommittedRecords(out, CAPTIONS, GOOD_STREAMS * 3 + 2, Duration.ofSeconds(2),
          Duration.ofSeconds(60));
      List<String> keys = captions.stream().map(c -> c.getStreamId() + "@" + c.getWindowStartUs() / S).toList();
      List<String> expected = new ArrayList<>();
      for (int s = 0; s < GOOD_STREAMS; s++) {
        for (int w = 0; w < GOOD_SECONDS / 10; w++) {
          expected.add("cam-" + s + "@" + w * 10);
        }
      }
      expected.add("cam-bad@0");
      expected.add("cam-bad@10");
      assertThat(keys).as("exactly one caption per (stream, window)").containsExactlyInAnyOrderElementsOf(expected);

      for (Caption c : captions) {
        if (c.getStreamId().equals("cam-bad")) {
          assertThat(c.getStatus()).isEqualTo(CaptionStatus.ERROR);
          assertThat(c.getErrorClass()).isEqualTo("HTTP_400");
          assertThat(c.getError()).contains("this prompt is refused");
          assertThat(c.getPrompt()).isEqualTo(REFUSED + " to caption this");
          continue;
        }
        int s = Integer.parseInt(c.getStreamId().substring(4));
        int first = (int) (c.getWindowStartUs() / S);
        assertThat(c.getStatus()).as(c.toString()).isEqualTo(CaptionStatus.OK);
        assertThat(c.getWindowEndUs()).isEqualTo(c.getWindowStartUs() + 10 * S);
        assertThat(c.getFrameCount()).isEqualTo(10);
        assertThat(c.getModel()).isEqualTo(MODEL);
        assertThat(c.getPrompt()).as("stream prompt, then the first matching rule")
            .isEqualTo(s == 2 ? CAM_2_PROMPT : RULE_PROMPT);
        List<Integer> colours = FakePlmServer.coloursOf(c.getText()).stream()
            .map(rgb -> SyntheticMedia.nearestPaletteIndex(rgb[0], rgb[1], rgb[2])).toList();
        List<Integer> wanted = new ArrayList<>();
        for (int t = first; t < first + 10; t++) {
          wanted.add(colour(s, t));
        }
        assertThat(colours).as("one frame per second of " + c.getStreamId() + " window " + first).isEqualTo(wanted);
      }

      List<DeadLetter> letters = kafka.readCommittedRecords(dlq, LETTERS, 2, Duration.ofSeconds(1), Duration.ofSeconds(30));
      assertThat(letters).extracting(DeadLetter::getStage).containsOnly(CaptionDeadLetters.STAGE);
      assertThat(letters).extracting(DeadLetter::getStreamId).containsExactly("cam-bad", "cam-bad");
      assertThat(letters).allSatisfy(l -> assertThat(l.getReason()).contains("this prompt is refused"));

      Map<Fault, Long> faults = server.received().stream()
          .collect(Collectors.groupingBy(FakePlmServer.Received::fault, Collectors.counting()));
      assertThat(faults).as("the server did throw errors").containsKeys(Fault.TOO_MANY_REQUESTS, Fault.SERVER_ERROR, Fault.STALL);
      assertThat(server.violations()).isEmpty();
      assertThat(server.maxRequestsWithin(Duration.ofSeconds(1))).as(server.arrivals())
          .isLessThanOrEqualTo(REQUESTS_PER_SECOND);
      assertThat(server.maxConcurrentRequests()).as(server.arrivals()).isLessThanOrEqualTo(CONCURRENT_REQUESTS);
    }
  }

  private static void run(KafkaTestClient kafka, String in, String out, String dlq, CaptionSettings settings)
      throws Exception {
    Configuration config = new Configuration();
    config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
    config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
    env.setParallelism(2);
    env.enableCheckpointing(500);

    SingleOutputStreamOperator<MediaChunk> chunks = env
        .fromSource(KafkaInputSource.builder().bootstrapServers(kafka.bootstrapServers()).topics(in)
            .groupId("captions-" + in).boundedAtLatest(true).build(), WatermarkStrategy.noWatermarks(), "media chunks")
        .uid("source").name("media chunks")
        .process(ParseRecords.of(CHUNKS)).uid("parse").name("parse chunks");
    SingleOutputStreamOperator<DecodedChunk> decoded = chunks
        .keyBy(MediaChunk::getStreamId, Types.STRING)
        .process(new ChunkSequencer(64, 0, 100_000)).uid("sequence").name("order chunks")
        .process(new DecodeStage(DecodeLimits.defaults(), new FramePolicy.Native(), VideoPreprocessing.pe(32), null,
            settings.frames().framePolicy()))
        .uid("decode").name("decode");
    SingleOutputStreamOperator<Caption> captions = CaptionPipeline.attach(decoded, settings);
    captions
        .map(new FailOnce("cam-1", 10 * S), RecordTypeInfo.forRecord(Caption.class)).uid("fail-once").name("fail once")
        .sinkTo(RecordSink.builder(CAPTIONS).bootstrapServers(kafka.bootstrapServers()).topic(out)
            .key(Caption::getStreamId).exactlyOnce("captions-" + out).build())
        .uid("sink").name("captions out");
    captions.getSideOutput(DeadLetters.TAG)
        .union(decoded.getSideOutput(DeadLetters.TAG), chunks.getSideOutput(DeadLetters.TAG))
        .sinkTo(RecordSink.builder(LETTERS).bootstrapServers(kafka.bootstrapServers()).topic(dlq)
            .key(DeadLetter::getStreamId).exactlyOnce("captions-" + dlq).build())
        .uid("dead-letter-sink").name("dead letters");
    env.execute("captions");
  }

  /** Chunks of one stream: 2 s mp4s at 5 fps, one palette colour per second (starting at {@code offset}). */
  private List<byte[][]> stream(String streamId, int offset, int seconds) throws Exception {
    List<byte[][]> out = new ArrayList<>();
    for (int c = 0; c < seconds / CHUNK_SECONDS; c++) {
      int firstSecond = c * CHUNK_SECONDS;
      byte[] media = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MP4_FASTSTART).size(64, 48)
          .fps(FPS).duration(CHUNK_SECONDS).noAudio().colours(f -> colour(offset, firstSecond + f / FPS)), dir);
      MediaChunk chunk = MediaChunk.newBuilder().setStreamId(streamId).setSeq(c).setKind(MediaKind.VIDEO)
          .setContainer("mp4").setVideoCodec("h264").setStartUs(firstSecond * S).setDurationUs(CHUNK_SECONDS * S)
          .setIngestTimeMs(Instant.now()).setPayload(ByteBuffer.wrap(media)).build();
      out.add(new byte[][] {utf8(streamId), CHUNKS.encode(chunk)});
    }
    return out;
  }

  /** Throws once, on the caption of one window, so the job fails over and restores mid-run. */
  static final class FailOnce implements MapFunction<Caption, Caption> {
    private static final long serialVersionUID = 1L;
    private final String streamId;
    private final long windowStartUs;

    FailOnce(String streamId, long windowStartUs) {
      this.streamId = streamId;
      this.windowStartUs = windowStartUs;
    }

    @Override
    public Caption map(Caption c) {
      if (c.getStreamId().equals(streamId) && c.getWindowStartUs() == windowStartUs && FAILURES.compareAndSet(0, 1)) {
        throw new IllegalStateException("injected failure on " + streamId + "@" + windowStartUs);
      }
      return c;
    }
  }
}
