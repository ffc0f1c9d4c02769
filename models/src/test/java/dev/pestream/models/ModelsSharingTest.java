package dev.pestream.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.BatchingOptions;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/** One ONNX Runtime session per graph per JVM, shared by every holder with the same options, closed by the last. */
class ModelsSharingTest {
  private static RuntimeOptions.Builder cpu() {
    // Options of their own, so no other test class shares these sessions.
    return RuntimeOptions.builder().providers(ExecutionProvider.CPU)
        .batching(new BatchingOptions(7, Duration.ofMillis(3), 99, 1));
  }

  @Test
  void sameBundleAndOptionsShareOneSessionPerGraphUntilTheLastClose() {
    Models first = Models.open(TestBundles.dir(), cpu().build());
    Models second = Models.open(TestBundles.dir().resolve("..").resolve("contract"), cpu().build());
    Models codecOnly = Models.open(TestBundles.dir(), cpu().graphs("audio_codec").build());
    BatchedSession codec = first.session("audio_codec");
    BatchedSession text = first.session("text_encoder");
    assertThat(second.session("audio_codec")).isSameAs(codec);
    assertThat(codecOnly.session("audio_codec")).as("graph selection does not split sessions").isSameAs(codec);
    assertThat(second.session("text_encoder")).isSameAs(text);
    assertThat(second.text().cache()).as("one text cache per bundle").isSameAs(first.text().cache());
    assertThat(codecOnly.graphs()).containsExactly("audio_codec");
    assertThatThrownBy(codecOnly::text).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("role text_encoder is not open");

    first.close();
    first.close(); // idempotent
    assertThat(codec.isClosed()).isFalse();
    assertThat(second.audioCodec().encode(new float[1920])).hasNumberOfRows(1);
    second.close();
    assertThat(text.isClosed()).as("last holder of text_encoder closed").isTrue();
    assertThat(codec.isClosed()).isFalse();
    codecOnly.close();
    assertThat(codec.isClosed()).isTrue();

    try (Models reopened = Models.open(TestBundles.dir(), cpu().build())) {
      assertThat(reopened.session("audio_codec")).as("a new session after the last close").isNotSameAs(codec);
    }
  }

  @Test
  void differentSessionOptionsGetTheirOwnSession() {
    try (Models a = Models.open(TestBundles.dir(), cpu().graphs("frame_level_audio").build());
         Models b = Models.open(TestBundles.dir(), cpu().graphs("frame_level_audio")
             .batching("frame_level_audio", BatchingOptions.of(2, Duration.ZERO)).build())) {
      assertThat(a.session("frame_level_audio")).isNotSameAs(b.session("frame_level_audio"));
      assertThat(b.session("frame_level_audio").batching().maxBatch()).isEqualTo(2);
    }
  }

  /** Operator instances opening concurrently (several slots starting at once) still get one session. */
  @Test
  void concurrentOpensShareOneSessionAndAllCallsWork() throws Exception {
    int holders = 4;
    CyclicBarrier barrier = new CyclicBarrier(holders);
    List<CompletableFuture<Models>> opened = new ArrayList<>();
    for (int i = 0; i < holders; i++) {
      opened.add(CompletableFuture.supplyAsync(() -> {
        try {
          barrier.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        return Models.open(TestBundles.dir(), cpu().graphs("audio_codec", "frame_level_audio").build());
      }));
    }
    List<Models> all = opened.stream().map(CompletableFuture::join).toList();
    BatchedSession codec = all.get(0).session("audio_codec");
    assertThat(all).allSatisfy(m -> assertThat(m.session("audio_codec")).isSameAs(codec));
    List<CompletableFuture<float[][]>> calls = new ArrayList<>();
    for (Models m : all) {
      calls.add(m.audioCodec().encodeAsync(Signals.tone(2, 1000, 0, 3840, 0.5)));
    }
    assertThat(calls).allSatisfy(c -> assertThat(c.join()).hasNumberOfRows(2));
    all.forEach(Models::close);
    assertThat(codec.isClosed()).isTrue();
  }

  @Test
  void unknownGraphsAndBadFoldersFailClearly() {
    assertThatThrownBy(() -> Models.open(TestBundles.dir(), cpu().graphs("audio_codec", "lip_reader").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no graph(s) [lip_reader]");
    assertThatThrownBy(() -> Models.open(TestBundles.dir().resolve("nope"), cpu().build()))
        .hasMessageContaining("bundle folder not readable");
  }
}
