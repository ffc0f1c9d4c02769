package dev.pestream.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.codec.RecordCodec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RecordSinkTest {
  private static RecordSink<Embedding> valid() {
    return RecordSink.builder(RecordCodec.of(Embedding.class)).bootstrapServers("localhost:1")
        .topic("embeddings").key(Embedding::getStreamId).exactlyOnce("job-embeddings");
  }

  @Test
  void buildsWhenComplete() {
    assertThat(valid().build()).isNotNull();
    assertThat(valid().atLeastOnce().build()).isNotNull();
  }

  @Test
  void rejectsIncompleteOrUnsafeSettings() {
    assertThatThrownBy(() -> valid().topic(" ").build()).hasMessageContaining("topic");
    assertThatThrownBy(() -> valid().bootstrapServers(null).build()).hasMessageContaining("bootstrap");
    assertThatThrownBy(() -> valid().key(null).build()).hasMessageContaining("key");
    assertThatThrownBy(() -> valid().exactlyOnce("").build()).hasMessageContaining("transactional id prefix");
    assertThatThrownBy(() -> valid().transactionTimeout(Duration.ofMinutes(16)).build())
        .hasMessageContaining("15 min");
  }

  @Test
  void endOfInputTimestampsAreNotPassedToKafka() {
    assertThat(RecordSink.kafkaTimestamp(1_700_000_000_000L)).isEqualTo(1_700_000_000_000L);
    assertThat(RecordSink.kafkaTimestamp(Long.MAX_VALUE)).isNull();
    assertThat(RecordSink.kafkaTimestamp(-1L)).isNull();
    assertThat(RecordSink.kafkaTimestamp(null)).isNull();
  }

  @Test
  void sourceBuilderRejectsMissingSettings() {
    assertThatThrownBy(() -> KafkaInputSource.builder().topics("t").groupId("g").build())
        .hasMessageContaining("bootstrap");
    assertThatThrownBy(() -> KafkaInputSource.builder().bootstrapServers("b").groupId("g").build())
        .hasMessageContaining("topic");
    assertThatThrownBy(() -> KafkaInputSource.builder().bootstrapServers("b").topics("t").build())
        .hasMessageContaining("group id");
  }
}
