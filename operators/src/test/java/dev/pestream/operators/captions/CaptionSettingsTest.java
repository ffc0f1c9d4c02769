package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
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
    return CaptionSettings.builder().endpoint("http://plm:8000").model("facebook/Perception-LM-1B");
  }

  @Test
  void defaultsFollowPlm() {
    CaptionSettings s = valid().build();
    assertThat(s.prompt()).isEqualTo("What is happening in the video?");
    assertThat(s.temperature()).isZero();
    assertThat(s.maxTokens()).isEqualTo(256);
    assertThat(s.maxFrames()).isEqualTo(32);
    assertThat(s.imageSize()).isEqualTo(448);
    assertThat(s.window()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.frameIntervalUs()).isEqualTo(1_000_000L);
    assertThat(s.framePolicy().intervalUs()).isEqualTo(1_000_000L);
    assertThat(s.framePolicy().imageSize()).isEqualTo(448);
    assertThat(s.asyncTimeout()).isGreaterThan(s.captionTimeout());
  }

  @Test
  void theChatUrlIsDerivedFromTheEndpoint() {
    assertThat(valid().endpoint("http://plm:8000").build().chatCompletionsUrl()).hasToString("http://plm:8000/v1/chat/completions");
    assertThat(valid().endpoint("http://plm:8000/").build().chatCompletionsUrl()).hasToString("http://plm:8000/v1/chat/completions");
    assertThat(valid().endpoint("https://gw/plm/v1").build().chatCompletionsUrl()).hasToString("https://gw/plm/v1/chat/completions");
    assertThat(valid().endpoint("https://gw/x/v1/chat/completions").build().chatCompletionsUrl())
        .hasToString("https://gw/x/v1/chat/completions");
  }

  @Test
  void promptsPerStreamOverrideTheDefault() {
    CaptionSettings s = valid().prompt("Describe.").streamPrompt("cam-1", "Who enters the door?").build();
    assertThat(s.promptFor("cam-1")).isEqualTo("Who enters the door?");
    assertThat(s.promptFor("cam-2")).isEqualTo("Describe.");
  }

  @Test
  void promptRulesApplyInOrderToStreamsWithoutTheirOwnPrompt() {
    CaptionSettings s = valid().prompt("Describe.").streamPrompt("door-7", "Is the door open?")
        .promptRules(List.of(PromptRule.parse("door-*=Who enters the door?"), PromptRule.parse("*-road-?=Count the cars."),
            PromptRule.parse("door-1*=Never used: an earlier rule matches first.")))
        .build();
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
    assertThatThrownBy(() -> CaptionSettings.builder().model("m").build()).hasMessageContaining("endpoint");
    assertThatThrownBy(() -> valid().endpoint("ftp://x").build()).hasMessageContaining("http(s)");
    assertThatThrownBy(() -> valid().endpoint("http://user:secret@plm:8000").build()).hasMessageContaining("user info");
    assertThatThrownBy(() -> valid().model(" ").build()).hasMessageContaining("model");
    assertThatThrownBy(() -> valid().window(Duration.ofMillis(10500)).build()).hasMessageContaining("whole number of frame intervals");
    assertThatThrownBy(() -> valid().temperature(-0.1).build()).hasMessageContaining("temperature");
    assertThatThrownBy(() -> valid().maxFrames(0).build()).hasMessageContaining("max frames");
    assertThatThrownBy(() -> valid().requestsPerSecond(0).build()).hasMessageContaining("requests per second");
    assertThatThrownBy(() -> valid().captionTimeout(Duration.ofSeconds(1)).build()).hasMessageContaining("caption timeout");
    assertThatThrownBy(() -> valid().maxBackoff(Duration.ofMillis(1)).build()).hasMessageContaining("max backoff");
    assertThatThrownBy(() -> valid().streamPrompt("s", "").build()).hasMessageContaining("prompt of stream s");
    assertThatThrownBy(() -> valid().tls(TlsSettings.trustStore(Path.of("/x.p12"), "PKCS12", SecretSource.none())).build())
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

    CaptionSettings s = valid().apiKey(SecretSource.parse("file:" + keyFile)).build();
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
    assertThat(s.model()).isEqualTo("facebook/Perception-LM-3B");
    assertThat(s.promptFor("cam-1")).isEqualTo("Who is there?");
    assertThat(s.promptFor("cam-2")).isEqualTo("Count the cars.");
    assertThat(s.promptFor("door-3")).isEqualTo("Who enters the door?");
    assertThat(s.promptFor("cam-9")).isEqualTo("Is anyone on camera?");
    assertThat(s.toString()).contains("promptRules=[door-*=Who enters the door?, cam-*=Is anyone on camera?]");
    assertThat(s.apiKey()).isEqualTo(SecretSource.env("PLM_API_KEY"));
    assertThat(s.window()).isEqualTo(Duration.ofSeconds(20));
    assertThat(s.frameInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.requestsPerSecond()).isEqualTo(7);
    assertThat(s.breakerOpenDuration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.toBuilder().build()).isEqualTo(s);
  }

  @Test
  void failuresAreClassifiedForRetriesAndTheBreaker() {
    assertThat(PlmCallException.http(429, Optional.empty(), "x").retryable()).isTrue();
    assertThat(PlmCallException.http(429, Optional.empty(), "x").breakerResult()).isEqualTo(CircuitBreaker.Result.NEUTRAL);
    assertThat(PlmCallException.http(503, Optional.empty(), "x").retryable()).isTrue();
    assertThat(PlmCallException.http(503, Optional.empty(), "x").breakerResult()).isEqualTo(CircuitBreaker.Result.FAILURE);
    assertThat(PlmCallException.http(501, Optional.empty(), "x").retryable()).isFalse();
    assertThat(PlmCallException.http(400, Optional.empty(), "x").retryable()).isFalse();
    assertThat(PlmCallException.http(401, Optional.empty(), "x").breakerResult()).isEqualTo(CircuitBreaker.Result.SUCCESS);
    assertThat(PlmCallException.http(422, Optional.empty(), "x").code()).isEqualTo("HTTP_422");
    assertThat(PlmCallException.timeout(Duration.ofSeconds(1)).retryable()).isTrue();
    assertThat(PlmCallException.connection(new java.io.IOException("reset")).breakerResult())
        .isEqualTo(CircuitBreaker.Result.FAILURE);
    assertThat(PlmClient.parseRetryAfter("7")).contains(Duration.ofSeconds(7));
    assertThat(PlmClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).contains(Duration.ZERO);
    assertThat(PlmClient.parseRetryAfter("soon")).isEmpty();
  }
}
