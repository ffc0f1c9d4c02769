package dev.pestream.connectors.plm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The OpenAI-compatible chat-completions wire format, as {@code transformers serve} speaks it:
 * one user message whose content is the frames as {@code image_url} parts (JPEG data URLs) in
 * time order followed by the prompt as a {@code text} part; {@code max_tokens} and
 * {@code temperature} (0 = greedy). Only fields that server accepts are sent (it rejects e.g.
 * {@code max_completion_tokens} with 422).
 */
public final class ChatCompletions {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Longest piece of a server's error body kept in an error message. */
  static final int ERROR_SNIPPET_CHARS = 300;

  private ChatCompletions() {}

  /** The request body. */
  public static byte[] requestBody(String model, String prompt, List<byte[]> jpegs, int maxTokens, double temperature) {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", model);
    ArrayNode content = JSON.createArrayNode();
    Base64.Encoder base64 = Base64.getEncoder();
    for (byte[] jpeg : jpegs) {
      ObjectNode part = content.addObject();
      part.put("type", "image_url");
      part.putObject("image_url").put("url", "data:image/jpeg;base64," + base64.encodeToString(jpeg));
    }
    content.addObject().put("type", "text").put("text", prompt);
    ObjectNode message = root.putArray("messages").addObject();
    message.put("role", "user");
    message.set("content", content);
    root.put("max_tokens", maxTokens);
    root.put("temperature", temperature);
    root.put("stream", false);
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a chat-completions request", e);
    }
  }

  /** What the server answered: the first choice's text and the token usage it reported. */
  public record Answer(String text, String finishReason, int promptTokens, int completionTokens) {}

  /** Parses a 200 response; fails with a BAD_RESPONSE {@link PlmCallException} when it is not one. */
  public static Answer parseAnswer(byte[] body) throws PlmCallException {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw PlmCallException.badResponse("the server's answer is not JSON: " + snippet(body));
    }
    if (root == null || !root.isObject()) {
      throw PlmCallException.badResponse("the server's answer is not a JSON object: " + snippet(body));
    }
    JsonNode choice = root.path("choices").path(0);
    JsonNode content = choice.path("message").path("content");
    if (!content.isTextual()) {
      throw PlmCallException.badResponse("the server's answer has no choices[0].message.content text: " + snippet(body));
    }
    JsonNode usage = root.path("usage");
    return new Answer(
        content.asText().strip(),
        choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : null,
        usage.path("prompt_tokens").asInt(0),
        usage.path("completion_tokens").asInt(0));
  }

  /** The message of an error body ({@code {"error":{"message":..}}}, {@code {"detail":..}}), else its start. */
  public static String errorMessage(byte[] body) {
    try {
      JsonNode root = JSON.readTree(body);
      if (root != null) {
        JsonNode message = root.path("error").path("message");
        if (message.isTextual()) {
          return cap(message.asText());
        }
        if (root.path("error").isTextual()) {
          return cap(root.path("error").asText());
        }
        if (root.has("detail")) {
          JsonNode detail = root.get("detail");
          return cap(detail.isTextual() ? detail.asText() : detail.toString());
        }
      }
    } catch (IOException e) {
      // not JSON: fall through to the raw text
    }
    return snippet(body);
  }

  static String snippet(byte[] body) {
    if (body == null || body.length == 0) {
      return "(empty)";
    }
    int n = Math.min(body.length, ERROR_SNIPPET_CHARS * 4);
    return cap(new String(body, 0, n, StandardCharsets.UTF_8));
  }

  private static String cap(String s) {
    String oneLine = s.replaceAll("\\s+", " ").strip();
    return oneLine.length() <= ERROR_SNIPPET_CHARS ? oneLine : oneLine.substring(0, ERROR_SNIPPET_CHARS) + "...";
  }
}
