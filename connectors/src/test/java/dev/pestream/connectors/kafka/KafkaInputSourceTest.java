package dev.pestream.connectors.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaInputSourceTest {
  private static KafkaInputSource valid() {
    return KafkaInputSource.builder().bootstrapServers("localhost:1").topics("media.chunks").groupId("job");
  }

  private static Properties client(String... keyValues) {
    Properties p = new Properties();
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return p;
  }

  @Test
  void acceptsSecuritySettingsAndTheJobsOwnIsolationLevel() {
    assertThat(valid().clientProperties(client("security.protocol", "SASL_SSL")).build()).isNotNull();
    assertThat(valid().clientProperties(client("isolation.level", "read_committed")).build()).isNotNull();
    assertThat(valid().clientProperties(client("isolation.level", " read_committed ")).boundedAtLatest(true).build())
        .isNotNull();
  }

  @Test
  void refusesAnIsolationLevelThatWouldLetAbortedTransactionsIn() {
    assertThatThrownBy(() -> valid().clientProperties(client("isolation.level", "read_uncommitted")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("isolation.level=read_uncommitted")
        .hasMessageContaining("aborted transactions");
  }

  @Test
  void rejectsMissingSettings() {
    assertThatThrownBy(() -> KafkaInputSource.builder().topics("t").groupId("g").build())
        .hasMessageContaining("bootstrap");
    assertThatThrownBy(() -> KafkaInputSource.builder().bootstrapServers("b").groupId("g").build())
        .hasMessageContaining("topic");
    assertThatThrownBy(() -> KafkaInputSource.builder().bootstrapServers("b").topics("t").build())
        .hasMessageContaining("group id");
  }
}
