package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.connectors.plm.SecretSource;
import dev.pestream.connectors.plm.TlsSettings;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptionSettingsTest {
  private static CaptionSettings.Builder valid() {
    return CaptionSettings.builder().server(s -> s.endpoint("http://plm:8000").model("facebook/Perception-LM-1B"));
  }

  @Test
  void defaultsFollowPlm() {
    CaptionSettings s = valid().build();
    assertThat(s.prompts().prompt()).isEqualTo("What is happening in the video?");
    assertThat(s.prompts().temperature()).isZero();
    assertThat(s.prompts().maxTokens()).isEqualTo(256);
    assertThat(s.frames().maxFrames()).isEqualTo(32);
    assertThat(s.frames().imageSize()).isEqualTo(448);
    assertThat(s.frames().window()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.frames().frameIntervalUs()).isEqualTo(1_000_000L);
    assertThat(s.frames().framePolicy().intervalUs()).isEqualTo(1_000_000L);
    assertThat(s.frames().framePolicy().imageSize()).isEqualTo(448);
    assertThat(s.asyncTimeout()).isGreaterThan(s.calls().captionTimeout());
  }

  @Test
  void theChatUrlIsDerivedFromTheEndpoint() {
    assertThat(chatUrl("http://plm:8000")).hasToString("http://plm:8000/v1/chat/completions");
    assertThat(chatUrl("http://plm:8000/")).hasToString("http://plm:8000/v1/chat/completions");
    assertThat(chatUrl("https://gw/plm/v1")).hasToString("https://gw/plm/v1/chat/completions");
    assertThat(chatUrl("https://gw/x/v1/chat/completions")).hasToString("https://gw/x/v1/chat/completions");
  }

  private static URI chatUrl(String endpoint) {
    return valid().server(s -> s.endpoint(endpoint)).build().server().chatCompletionsUrl();
  }

  @Test
  void promptsPerStreamOverrideTheDefault() {
    CaptionPrompts s = valid().prompts(p -> p.prompt("Describe.").streamPrompt("cam-1", "Who enters the door?")).build()
        .prompts();
    assertThat(s.promptFor("cam-1")).isEqualTo("Who enters the door?");
    assertThat(s.promptFor("cam-2")).isEqualTo("Describe.");
  }

  @Test
  void promptRulesApplyInOrderToStreamsWithoutTheirOwnPrompt() {
    CaptionPrompts s = valid().prompts(p -> p.prompt("Describe.").streamPrompt("door-7", "Is the door open?")
        .promptRules(List.of(PromptRule.parse("door-*=Who enters the door?"), PromptRule.parse("*-road-?=Count the cars."),
            PromptRule.parse("door-1*=Never used: an earlier rule matches first."))))
        .build().prompts();
    assertThat(s.promptFor("door-7")).as("a stream's own prompt wins").isEqualTo("Is the door open?");
    assertThat(s.promptFor("door-12")).as("first matching rule").isEqualTo("Who enters the door?");
    assertThat(s.promptFor("main-road-3")).isEqualTo("Count the cars.");
    assertThat(s.promptFor("main-road-30")).as("? is one character").isEqualTo("Describe.");
    assertThat(s.promptFor("lobby")).isEqualTo("Describe.");
  }

  @Test
  void malformedPromptRulesAreRejectedWithTheReason() {
    assertThatThrownBy(() -> PromptRule.parse("door-* Who enters?")).hasMessageContaining("glob=prompt");
    assertThatThrownBy(() -> PromptRule.parse("=Who enters?")).hasMessageContaining("stream selector");
    assertThatThrownBy(() -> PromptRule.parse("door-*= ")).hasMessageContaining("'door-*' has no prompt");
    assertThatThrownBy(() -> PromptRule.parse("*".repeat(257) + "=x")).hasMessageContaining("longer than 256");
    assertThat(PromptRule.parse(" cam-* = What = why? ")).isEqualTo(new PromptRule("cam-*", "What = why?"));
  }

  @Test
  void badValuesAreRejectedWithTheReason() {
    assertThatThrownBy(() -> CaptionSettings.builder().server(s -> s.model("m")).build()).hasMessageContaining("endpoint");
    assertThatThrownBy(() -> valid().server(s -> s.endpoint("ftp://x")).build()).hasMessageContaining("http(s)");
    assertThatThrownBy(() -> valid().server(s -> s.endpoint("http://user:secret@plm:8000")).build())
        .hasMessageContaining("user info");
    assertThatThrownBy(() -> valid().server(s -> s.model(" ")).build()).hasMessageContaining("model");
    assertThatThrownBy(() -> valid().frames(f -> f.window(Duration.ofMillis(10500))).build())
        .hasMessageContaining("whole number of frame intervals");
    assertThatThrownBy(() -> valid().prompts(p -> p.temperature(-0.1)).build()).hasMessageContaining("temperature");
    assertThatThrownBy(() -> valid().frames(f -> f.maxFrames(0)).build()).hasMessageContaining("max frames");
    assertThatThrownBy(() -> valid().calls(c -> c.requestsPerSecond(0)).build()).hasMessageContaining("requests per second");
    assertThatThrownBy(() -> valid().calls(c -> c.captionTimeout(Duration.ofSeconds(1))).build())
        .hasMessageContaining("caption timeout");
    assertThatThrownBy(() -> valid().calls(c -> c.maxBackoff(Duration.ofMillis(1))).build())
        .hasMessageContaining("max backoff");
    assertThatThrownBy(() -> valid().prompts(p -> p.streamPrompt("s", "")).build()).hasMessageContaining("prompt of stream s");
    assertThatThrownBy(() -> valid()
        .server(s -> s.tls(TlsSettings.trustStore(Path.of("/x.p12"), "PKCS12", SecretSource.none()))).build())
        .hasMessageContaining("not https");
  }

  @Test
  void secretsAreReferencesNeverValues(@TempDir Path dir) throws Exception {
    Path keyFile = dir.resolve("plm.key");
    Files.writeString(keyFile, "sk-file-secret\n", StandardCharsets.UTF_8);
    UnaryOperator<String> env = name -> name.equals("PLM_KEY") ? "sk-env-secret" : null;
    assertThat(SecretSource.parse("env:PLM_KEY").resolve(env)).contains("sk-env-secret");
    assertThat(SecretSource.parse("file:" + keyFile).resolve(env)).contains("sk-file-secret");
    assertThat(SecretSource.parse("").resolve(env)).isEmpty();
    assertThatThrownBy(() -> SecretSource.parse("env:MISSING").resolve(env)).hasMessageContaining("MISSING (secret) is not set");
    assertThatThrownBy(() -> SecretSource.parse("sk-pasted-secret"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("sk-pasted-secret");

    CaptionSettings s = valid().server(server -> server.apiKey(SecretSource.parse("file:" + keyFile))).build();
    assertThat(s.toString()).contains("apiKey=file:" + keyFile).doesNotContain("sk-file-secret");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    assertThat(bytes.toString(StandardCharsets.ISO_8859_1)).doesNotContain("sk-file-secret");
  }

  @Test
  void settingsComeFromJobOptionsAndAreOffWithoutAnEndpoint() {
    assertThat(CaptionOptions.settings(new Configuration())).isEmpty();
    Configuration config = Configuration.fromMap(Map.of(
        "captions.endpoint", "http://plm:8000",
        "captions.model", "facebook/Perception-LM-3B",
        "captions.stream-prompts", "cam-1:'Who is there?',cam-2:Count the cars.",
        "captions.prompt-rules", "door-*=Who enters the door?;cam-*=Is anyone on camera?",
        "captions.api-key", "env:PLM_API_KEY",
        "captions.window", "20 s",
        "captions.fps", "0.5",
        "captions.requests-per-second", "7",
        "captions.breaker.open-duration", "5 s"));
    Optional<CaptionSettings> settings = CaptionOptions.settings(config);
    assertThat(settings).isPresent();
    CaptionSettings s = settings.get();
    assertThat(s.server().model()).isEqualTo("facebook/Perception-LM-3B");
    assertThat(s.prompts().promptFor("cam-1")).isEqualTo("Who is there?");
    assertThat(s.prompts().promptFor("cam-2")).isEqualTo("Count the cars.");
    assertThat(s.prompts().promptFor("door-3")).isEqualTo("Who enters the door?");
    assertThat(s.prompts().promptFor("cam-9")).isEqualTo("Is anyone on camera?");
    assertThat(s.toString()).contains("promptRules=[door-*=Who enters the door?, cam-*=Is anyone on camera?]");
    assertThat(s.server().apiKey()).isEqualTo(SecretSource.env("PLM_API_KEY"));
    assertThat(s.frames().window()).isEqualTo(Duration.ofSeconds(20));
    assertThat(s.frames().frameInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.calls().requestsPerSecond()).isEqualTo(7);
    assertThat(s.calls().breakerOpenDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.toBuilder().build()).isEqualTo(s);
  }
}
