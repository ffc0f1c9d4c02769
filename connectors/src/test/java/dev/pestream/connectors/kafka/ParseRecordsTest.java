package dev.pestream.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.schemas.AlertRule;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

class ParseRecordsTest {
  private static final RecordCodec<AlertRule> CODEC = RecordCodec.of(AlertRule.class);

  private static AlertRule rule(String id) {
    return AlertRule.newBuilder().setRuleId(id).setPrompt("glass breaking").setThreshold(0.6f)
        .setUpdatedAtMs(Instant.ofEpochMilli(5)).build();
  }

  private static KafkaInput input(long offset, String key, byte[] value) {
    return new KafkaInput("rules", 0, offset, 0L, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static OneInputStreamOperatorTestHarness<KafkaInput, AlertRule> harness(ParseRecords<AlertRule> fn)
      throws Exception {
    var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(fn));
    h.setup(fn.getProducedType().createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
  }

  @Test
  void validRecordsPassAndBadOnesBecomeDeadLettersWithOrigin() throws Exception {
    try (var h = harness(ParseRecords.of(CODEC))) {
      byte[] big = new byte[DeadLetters.MAX_PAYLOAD_BYTES * 2];
      Arrays.fill(big, (byte) 7);
      h.processElement(new StreamRecord<>(input(1, "r1", CODEC.encode(rule("r1")))));
      h.processElement(new StreamRecord<>(input(2, "r2", big)));
      h.processElement(new StreamRecord<>(input(3, "r3", null)));

      assertThat(h.extractOutputValues()).containsExactly(rule("r1"));
      var letters = h.getSideOutput(DeadLetters.TAG);
      assertThat(letters).hasSize(2);
      DeadLetter oversized = letters.poll().getValue();
      assertThat(oversized.getOriginTopic()).isEqualTo("rules");
      assertThat(oversized.getOriginOffset()).isEqualTo(2L);
      assertThat(oversized.getStreamId()).isEqualTo("r2");
      assertThat(oversized.getStage()).isEqualTo(ParseRecords.STAGE);
      assertThat(oversized.getErrorClass()).isEqualTo("NOT_SINGLE_OBJECT");
      assertThat(oversized.getPayload().remaining()).isEqualTo(DeadLetters.MAX_PAYLOAD_BYTES);
      assertThat(oversized.getPayloadSize()).isEqualTo(big.length);
      DeadLetter tombstone = letters.poll().getValue();
      assertThat(tombstone.getErrorClass()).isEqualTo("EMPTY");
      assertThat(tombstone.getReason()).contains("empty payload where a AlertRule was expected");
    }
  }

  @Test
  void tombstonesOfControlTopicsBecomeRecordsWhenAsked() throws Exception {
    var fn = ParseRecords.withTombstones(CODEC, key -> AlertRule.newBuilder(rule(key)).setDeleted(true).build());
    try (var h = harness(fn)) {
      h.processElement(new StreamRecord<>(input(9, "gone", null)));
      assertThat(h.extractOutputValues()).singleElement().satisfies(r -> {
        assertThat(r.getRuleId()).isEqualTo("gone");
        assertThat(r.getDeleted()).isTrue();
      });
      assertThat(h.getSideOutput(DeadLetters.TAG)).isNull();
    }
  }
}
