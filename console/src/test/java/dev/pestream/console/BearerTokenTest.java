package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokenTest {
  private static final String SECRET = "s3cret-token-0123456789";

  @TempDir Path dir;

  @Test
  void fromEnvironmentOrFileNeverShown() throws Exception {
    BearerToken env = BearerToken.resolve("env:CONSOLE_TOKEN", Map.of("CONSOLE_TOKEN", SECRET)::get);
    Path file = Files.writeString(dir.resolve("token"), SECRET + "\nignored\n");
    BearerToken fromFile = BearerToken.resolve("file:" + file);
    for (BearerToken t : new BearerToken[] {env, fromFile}) {
      assertThat(t.accepts("Bearer " + SECRET)).isTrue();
      assertThat(t.accepts("Bearer " + SECRET + "x")).isFalse();
      assertThat(t.accepts(SECRET)).isFalse();
      assertThat(t.accepts(null)).isFalse();
      assertThat(t.toString()).doesNotContain(SECRET);
    }
  }

  @Test
  void aTokenGivenAsItselfOrMissingIsRefused() {
    assertThatThrownBy(() -> BearerToken.resolve(SECRET)).hasMessageContaining("env:NAME or file:PATH");
    assertThatThrownBy(() -> BearerToken.resolve("env:NOPE", k -> null)).hasMessageContaining("not set");
    assertThatThrownBy(() -> BearerToken.resolve("env:SHORT", k -> "short")).hasMessageContaining("at least 16");
  }
}
