package dev.pestream.tests.foundation;

import static dev.pestream.testing.kafka.KafkaTestClient.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.connectors.kafka.KafkaInputSource;
import dev.pestream.connectors.kafka.ParseRecords;
import dev.pestream.connectors.kafka.RecordSink;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.Chunks;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaClientLeakCheck;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The foundation end to end: MediaChunk records on a real broker → Flink (MiniCluster, 2
 * TaskManagers, parallelism 2) → parse → exactly-once Kafka sink. Bytes that are not a valid
 * record land on the dead-letter topic with a reason, and the job (which has no restarts) runs to
 * completion.
 */
@ExtendWith({KafkaBrokerExtension.class, KafkaClientLeakCheck.class})
class PassThroughITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  private static final int CHUNKS = 400;
  private static final RecordCodec<MediaChunk> CHUNK_CODEC = RecordCodec.of(MediaChunk.class);
  private static final RecordCodec<DeadLetter> DEAD_LETTER_CODEC = RecordCodec.of(DeadLetter.class);

  @Test
  void everyValidChunkArrivesExactlyOnceAndBadBytesAreDeadLettered(KafkaTestClient kafka) throws Exception {
    String in = kafka.newTopic("chunks", 2);
    String out = kafka.newTopic("chunks-copy", 2);
    String dlq = kafka.newTopic("dead-letters", 1);

    List<byte[][]> input = new ArrayList<>();
    for (int i = 0; i < CHUNKS; i++) {
      MediaChunk chunk = Chunks.chunk("stream-" + (i % 4), i / 4);
      input.add(new byte[][] {utf8(chunk.getStreamId()), CHUNK_CODEC.encode(chunk)});
    }
    Collections.shuffle(input, new Random(42));
    byte[] foreignRecord = RecordCodec.of(AlertRule.class).encode(AlertRule.newBuilder()
        .setRuleId("r1").setPrompt("siren").setThreshold(0.5f).setUpdatedAtMs(Instant.EPOCH).build());
    input.add(100, new byte[][] {utf8("stream-0"), utf8("this is not an Avro record")});
    input.add(200, new byte[][] {utf8("stream-1"), new byte[0]});
    input.add(300, new byte[][] {utf8("stream-2"), foreignRecord});
    kafka.sendRaw(in, input);

    Configuration config = new Configuration();
    config.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
    env.setParallelism(2);
    env.enableCheckpointing(300);

    SingleOutputStreamOperator<MediaChunk> chunks = env
        .fromSource(
            KafkaInputSource.builder().bootstrapServers(kafka.bootstrapServers()).topics(in)
                .groupId("pass-through-" + in).boundedAtLatest(true).build(),
            WatermarkStrategy.noWatermarks(), "media chunks")
        .uid("source").name("media chunks")
        .process(ParseRecords.of(CHUNK_CODEC)).uid("parse").name("parse chunks");
    chunks.sinkTo(RecordSink.builder(CHUNK_CODEC).bootstrapServers(kafka.bootstrapServers()).topic(out)
            .key(MediaChunk::getStreamId).exactlyOnce("pass-through-" + out).build())
        .uid("sink").name("chunks out");
    chunks.getSideOutput(DeadLetters.TAG)
        .sinkTo(RecordSink.builder(DEAD_LETTER_CODEC).bootstrapServers(kafka.bootstrapServers()).topic(dlq)
            .key(DeadLetter::getStreamId).exactlyOnce("pass-through-" + dlq).build())
        .uid("dead-letter-sink").name("dead letters");

    JobExecutionResult result = env.execute("pass-through");

    List<MediaChunk> copied = kafka.readCommittedRecords(out, CHUNK_CODEC, CHUNKS, Duration.ofSeconds(1), Duration.ofSeconds(60));
    Set<String> distinct = copied.stream().map(c -> c.getStreamId() + "#" + c.getSeq()).collect(Collectors.toSet());
    assertThat(copied).hasSize(CHUNKS);
    assertThat(distinct).hasSize(CHUNKS);
    assertThat(copied).allSatisfy(c -> assertThat(c.getAttributes()).containsEntry("origin", "test"));

    List<DeadLetter> letters = kafka.readCommittedRecords(dlq, DEAD_LETTER_CODEC, 3, Duration.ofSeconds(1), Duration.ofSeconds(30));
    assertThat(letters).hasSize(3);
    assertThat(letters).allSatisfy(l -> {
      assertThat(l.getStage()).isEqualTo(ParseRecords.STAGE);
      assertThat(l.getOriginTopic()).isEqualTo(in);
      assertThat(l.getOriginOffset()).isNotNull();
    });
    assertThat(letters).extracting(DeadLetter::getErrorClass)
        .containsExactlyInAnyOrder("NOT_SINGLE_OBJECT", "EMPTY", "UNKNOWN_FINGERPRINT");
    assertThat(letters).extracting(DeadLetter::getReason)
        .anySatisfy(r -> assertThat(r).contains("not an Avro single-object record"))
        .anySatisfy(r -> assertThat(r).contains("unknown schema fingerprint"));
    assertThat(result.getNetRuntime()).isPositive();
  }
}
