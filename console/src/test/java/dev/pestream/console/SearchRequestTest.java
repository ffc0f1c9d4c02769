package dev.pestream.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.schemas.Modality;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The search requests the API answers with HTTP 400, and what the error says to change. */
class SearchRequestTest {
  private static final Set<String> ALL_HEADS = Set.of("audio", "video", "audio_video");

  private static SearchRequest parse(Set<String> heads, String... keyValues) {
    Map<String, String> params = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      params.put(keyValues[i], keyValues[i + 1]);
    }
    return SearchRequest.parse(params::get, heads);
  }

  @Test
  void aGoodRequestKeepsEveryField() {
    SearchRequest r = parse(ALL_HEADS, "q", " glass breaking ", "modality", "AUDIO", "k", "5", "stream", "cam-*",
        "fromUs", "1000", "toUs", "2000");
    assertThat(r).isEqualTo(new SearchRequest("glass breaking", Modality.AUDIO, "audio", 5, "cam-*", 1000L, 2000L));
    assertThat(parse(ALL_HEADS, "q", "x").k()).isEqualTo(SearchRequest.DEFAULT_K);
  }

  @Test
  void emptyOrOverlongQueries() {
    assertThatThrownBy(() -> parse(ALL_HEADS)).isInstanceOf(BadRequest.class).hasMessageContaining("q is empty");
    assertThatThrownBy(() -> parse(ALL_HEADS, "q", "   ")).isInstanceOf(BadRequest.class).hasMessageContaining("q is empty");
    String tooLong = "a".repeat(ConsoleOptions.MAX_QUERY_CHARS + 1);
    assertThatThrownBy(() -> parse(ALL_HEADS, "q", tooLong)).isInstanceOf(BadRequest.class)
        .hasMessageContaining("shorten it to at most " + ConsoleOptions.MAX_QUERY_CHARS);
  }

  @Test
  void unknownModalityOrOneTheBundleCannotSearch() {
    assertThatThrownBy(() -> parse(ALL_HEADS, "q", "x", "modality", "smell")).isInstanceOf(BadRequest.class)
        .hasMessage("modality 'smell' is unknown: use audio, video or audio_video");
    assertThatThrownBy(() -> parse(Set.of("audio"), "q", "x", "modality", "video")).isInstanceOf(BadRequest.class)
        .hasMessageContaining("no text head for modality video");
  }

  @Test
  void kOutOfRange() {
    for (String k : new String[] {"0", "-3", String.valueOf(ConsoleOptions.MAX_K + 1), "99999999999"}) {
      assertThatThrownBy(() -> parse(ALL_HEADS, "q", "x", "k", k)).as(k).isInstanceOf(BadRequest.class)
          .hasMessageContaining("out of range");
    }
    assertThatThrownBy(() -> parse(ALL_HEADS, "q", "x", "k", "ten")).isInstanceOf(BadRequest.class)
        .hasMessage("k='ten' is not a whole number");
  }

  @Test
  void badTimeRangeOrGlob() {
    assertThatThrownBy(() -> parse(ALL_HEADS, "q", "x", "fromUs", "5", "toUs", "4")).isInstanceOf(BadRequest.class)
        .hasMessage("fromUs is after toUs: swap them");
    assertThatThrownBy(() -> parse(ALL_HEADS, "q", "x", "stream", "c".repeat(300))).isInstanceOf(BadRequest.class)
        .hasMessageContaining("stream must be a glob");
  }
}
