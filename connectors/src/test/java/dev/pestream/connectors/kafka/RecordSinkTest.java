package dev.pestream.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.codec.RecordCodec;
import java.time.Duration;
import java.util.Properties;
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
  void rejectsAZeroTimeout() {
    assertThatThrownBy(() -> valid().transactionTimeout(Duration.ZERO).build()).hasMessageContaining("positive");
    assertThatThrownBy(() -> valid().transactionTimeout(Duration.ofMillis(-1)).build()).hasMessageContaining("positive");
    assertThat(valid().transactionTimeout(Duration.ofMinutes(15)).build()).isNotNull();
  }

  @Test
  void clientPropertiesCannotReplaceTheValidatedTransactionTimeout() {
    assertThatThrownBy(() -> valid().clientProperties(client("transaction.timeout.ms", "3600000")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("transaction.timeout.ms=3600000")
        .hasMessageContaining("kafka.transaction-timeout");
    assertThatThrownBy(() -> valid().clientProperties(client("transaction.timeout.ms", "0")).build())
        .hasMessageContaining("transaction.timeout.ms=0");
    // the same value as the validated timeout is harmless
    assertThat(valid().transactionTimeout(Duration.ofSeconds(90))
        .clientProperties(client("transaction.timeout.ms", "90000")).build()).isNotNull();
  }

  @Test
  void clientPropertiesCannotWeakenTheDeliveryGuarantee() {
    assertThatThrownBy(() -> valid().clientProperties(client("transactional.id", "fixed")).build())
        .hasMessageContaining("transactional.id=fixed").hasMessageContaining("kafka.transactional-id-prefix");
    assertThatThrownBy(() -> valid().atLeastOnce().clientProperties(client("transactional.id", "fixed")).build())
        .hasMessageContaining("transactional.id=fixed");
    assertThatThrownBy(() -> valid().clientProperties(client("enable.idempotence", "false")).build())
        .hasMessageContaining("enable.idempotence=false").hasMessageContaining("idempotent");
    assertThatThrownBy(() -> valid().atLeastOnce().clientProperties(client("acks", "1")).build())
        .hasMessageContaining("acks=1").hasMessageContaining("at-least-once");
    assertThat(valid().clientProperties(client("acks", "all", "enable.idempotence", "true",
        "security.protocol", "SSL", "isolation.level", "read_committed")).build()).isNotNull();
    assertThat(valid().atLeastOnce().clientProperties(client("enable.idempotence", "false", "acks", "-1")).build())
        .isNotNull();
  }

  private static Properties client(String... keyValues) {
    Properties p = new Properties();
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return p;
  }
}
