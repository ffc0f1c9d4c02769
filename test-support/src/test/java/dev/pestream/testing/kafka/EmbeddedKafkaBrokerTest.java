package dev.pestream.testing.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.testing.kafka.BrokerSecurity.Listener;
import dev.pestream.testing.kafka.BrokerSecurity.ScramUser;
import dev.pestream.testing.kafka.BrokerSecurity.Tls;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The secured-listener options of the embedded broker (started for real by the tests module). */
class EmbeddedKafkaBrokerTest {
  private static final Tls TLS = new Tls(Path.of("broker.p12"), "ks-secret", Path.of("trust.p12"), "ts-secret");

  @Test
  void listenersCarryTheirSettingsUnderTheirOwnName() {
    Listener mtls = Listener.mutualTls("MTLS", TLS);
    assertThat(mtls.securityProtocol()).isEqualTo("SSL");
    assertThat(mtls.settings()).containsEntry("ssl.client.auth", "required")
        .containsEntry("ssl.keystore.password", "ks-secret").containsEntry("ssl.truststore.password", "ts-secret");

    Listener scram = Listener.scram("SCRAM", "SCRAM-SHA-256", TLS);
    assertThat(scram.securityProtocol()).isEqualTo("SASL_SSL");
    assertThat(scram.settings()).containsEntry("sasl.enabled.mechanisms", "SCRAM-SHA-256")
        .containsKey("scram-sha-256.sasl.jaas.config").doesNotContainKey("ssl.client.auth");
    assertThat(Listener.scram("LOCAL", "SCRAM-SHA-512", null).securityProtocol()).isEqualTo("SASL_PLAINTEXT");
  }

  @Test
  void rejectsWhatTheBrokerWouldNotStartWith() {
    assertThatThrownBy(() -> Listener.mutualTls("mtls", TLS)).hasMessageContaining("upper-case");
    assertThatThrownBy(() -> Listener.scram("SCRAM", "PLAIN", TLS)).hasMessageContaining("SCRAM mechanism");
    assertThatThrownBy(() -> new Listener("X", "PLAINTEXT", Map.of())).hasMessageContaining("SSL");
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().listener(Listener.mutualTls("PLAINTEXT", TLS)))
        .hasMessageContaining("already used");
    assertThatThrownBy(() -> new ScramUser("SCRAM-SHA-512", "job", "a,b")).hasMessageContaining("password");
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().logLevel("LOUD")).hasMessageContaining("log level");
  }

  @Test
  void scramUsersBecomeFormatTimeArguments() {
    assertThat(new ScramUser("SCRAM-SHA-512", "job", "pw").formatArgument())
        .isEqualTo("SCRAM-SHA-512=[name=job,password=pw]");
  }

  @Test
  void descriptionsLeaveOutPasswords() {
    assertThat(TLS.toString()).doesNotContain("ks-secret", "ts-secret");
    assertThat(Listener.mutualTls("MTLS", TLS).toString()).doesNotContain("ks-secret", "ts-secret");
    assertThat(new ScramUser("SCRAM-SHA-512", "job", "pw-secret").toString()).doesNotContain("pw-secret");
  }
}
