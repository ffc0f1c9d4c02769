package dev.pestream.connectors.plm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatCompletionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theRequestHasTheFramesAsJpegImagePartsThenThePrompt() throws Exception {
    byte[] a = {(byte) 0xff, (byte) 0xd8, 1, 2};
    byte[] b = {(byte) 0xff, (byte) 0xd8, 3};
    JsonNode root = JSON.readTree(ChatCompletions.requestBody("facebook/Perception-LM-1B", "What is happening?",
        List.of(a, b), 256, 0));
    assertThat(root.get("model").asText()).isEqualTo("facebook/Perception-LM-1B");
    assertThat(root.get("max_tokens").asInt()).isEqualTo(256);
    assertThat(root.get("temperature").asDouble()).isZero();
    assertThat(root.get("stream").asBoolean()).isFalse();
    List<String> keys = iterate(root);
    assertThat(keys).containsExactlyInAnyOrder("model", "messages", "max_tokens", "temperature", "stream");
    JsonNode messages = root.get("messages");
    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).get("role").asText()).isEqualTo("user");
    JsonNode content = messages.get(0).get("content");
    assertThat(content).hasSize(3);
    assertThat(content.get(0).get("type").asText()).isEqualTo("image_url");
    assertThat(content.get(0).get("image_url").get("url").asText())
        .isEqualTo("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(a));
    assertThat(content.get(1).get("image_url").get("url").asText())
        .isEqualTo("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(b));
    assertThat(content.get(2).get("type").asText()).isEqualTo("text");
    assertThat(content.get(2).get("text").asText()).isEqualTo("What is happening?");
  }

  @Test
  void parsesTheAnswerAndItsUsage() throws Exception {
    String body = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"  A dog runs.\\n\"},"
        + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":2571,\"completion_tokens\":5,\"total_tokens\":2576}}";
    ChatCompletions.Answer answer = ChatCompletions.parseAnswer(body.getBytes(StandardCharsets.UTF_8));
    assertThat(answer.text()).isEqualTo("A dog runs.");
    assertThat(answer.finishReason()).isEqualTo("stop");
    assertThat(answer.promptTokens()).isEqualTo(2571);
    assertThat(answer.completionTokens()).isEqualTo(5);
    ChatCompletions.Answer noUsage = ChatCompletions.parseAnswer(
        "{\"choices\":[{\"message\":{\"content\":\"ok\"}}]}".getBytes(StandardCharsets.UTF_8));
    assertThat(noUsage.promptTokens()).isZero();
  }

  @Test
  void aBadAnswerIsABadResponseThatIsNotRetried() {
    for (String bad : List.of("not json", "[]", "{\"choices\":[]}", "{\"choices\":[{\"message\":{\"content\":null}}]}")) {
      assertThatThrownBy(() -> ChatCompletions.parseAnswer(bad.getBytes(StandardCharsets.UTF_8)))
          .isInstanceOfSatisfying(PlmCallException.class, e -> {
            assertThat(e.kind()).isEqualTo(PlmCallException.Kind.BAD_RESPONSE);
            assertThat(e.retryable()).isFalse();
          });
    }
  }

  @Test
  void errorBodiesAreSummarised() {
    assertThat(ChatCompletions.errorMessage("{\"error\":{\"message\":\"model not found\"}}".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("model not found");
    assertThat(ChatCompletions.errorMessage("{\"detail\":\"Unexpected keys\"}".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("Unexpected keys");
    assertThat(ChatCompletions.errorMessage("x".repeat(5000).getBytes(StandardCharsets.UTF_8)))
        .hasSize(ChatCompletions.ERROR_SNIPPET_CHARS + 3);
    assertThat(ChatCompletions.errorMessage(new byte[0])).isEqualTo("(empty)");
  }

  private static List<String> iterate(JsonNode node) {
    List<String> keys = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }
}
