package dev.pestream.operators.windows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.encode.EncodedChunk;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class WindowAssemblerTest {
  private static final long SECOND = 1_000_000;
  private static final WindowGrid GRID = new WindowGrid(2 * SECOND, SECOND, 40_000);

  /** A 1 s chunk: 25 audio frames whose single feature is the frame index, video at 2 fps. */
  static EncodedChunk chunk(long second, boolean gapBefore) {
    EncodedChunk c = new EncodedChunk();
    c.streamId = "cam";
    c.seq = second;
    c.startUs = second * SECOND;
    c.endUs = c.startUs + SECOND;
    c.audioEndUs = c.endUs;
    c.ingestTimeMs = 1000 + second;
    c.gapBefore = gapBefore;
    c.firstAudioFrame = second * 25;
    c.audioFrameCount = 25;
    c.audioFeatureDim = 1;
    c.audioFeatures = new float[25];
    for (int i = 0; i < 25; i++) {
      c.audioFeatures[i] = c.firstAudioFrame + i;
    }
    c.frameFeatureDim = 2;
    c.videoPtsUs = new long[] {c.startUs, c.startUs + SECOND / 2};
    c.videoFeatures = new float[] {c.startUs, 0, c.startUs + SECOND / 2, 0};
    c.videoGridIndex = new long[] {2 * second, 2 * second + 1};
    c.frameRateNum = 2;
    return c;
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, EncodedChunk, WindowInput> harness(Duration idle)
      throws Exception {
    return harness(new FramePolicy.Native(), idle);
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, EncodedChunk, WindowInput> harness(FramePolicy policy,
      Duration idle) throws Exception {
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new WindowAssembler(GRID, policy, idle)), (EncodedChunk c) -> c.streamId, Types.STRING);
    h.setup(TypeInformation.of(WindowInput.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
  }

  private static List<Long> stateKeys(KeyedOneInputStreamOperatorTestHarness<String, EncodedChunk, WindowInput> h,
      String name) throws Exception {
    h.getOperator().setCurrentKey("cam");
    MapState<Long, float[]> state = h.getOperator().getKeyedStateBackend().getPartitionedState(
        VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        new MapStateDescriptor<>(name, Types.LONG, PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO));
    List<Long> keys = new java.util.ArrayList<>();
    state.keys().forEach(keys::add);
    return keys;
  }

  @Test
  void emitsEachWindowOnceItsEndIsCoveredWithEveryFrameInside() throws Exception {
    try (var h = harness(Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, false)));
      assertThat(h.extractOutputValues()).isEmpty();
      h.processElement(new StreamRecord<>(chunk(1, false)));
      h.processElement(new StreamRecord<>(chunk(2, false)));

      List<WindowInput> out = h.extractOutputValues();
      assertThat(out).extracting(w -> w.window).containsExactly(0L, 1L);
      WindowInput second = out.get(1);
      assertThat(second.startUs).isEqualTo(SECOND);
      assertThat(second.endUs).isEqualTo(3 * SECOND);
      assertThat(second.truncated).isFalse();
      assertThat(second.firstAudioFrame).isEqualTo(25);
      assertThat(second.audioFrameCount).isEqualTo(50);
      for (int i = 0; i < 50; i++) {
        assertThat(second.audioFeatures[i]).isEqualTo(25f + i);
      }
      assertThat(second.videoPtsUs).containsExactly(SECOND, 3 * SECOND / 2, 2 * SECOND, 5 * SECOND / 2);
      assertThat(second.ingestTimeMs).isEqualTo(1002);
    }
  }

  @Test
  void keepsOnlyTheFramesThatOpenWindowsStillNeed() throws Exception {
    try (var h = harness(Duration.ZERO)) {
      for (int s = 0; s < 20; s++) {
        h.processElement(new StreamRecord<>(chunk(s, false)));
      }
      // the next window starts at 19 s: only the last second of frames is kept
      assertThat(stateKeys(h, WindowAssembler.AUDIO_FRAMES_STATE)).hasSize(25).allSatisfy(f -> assertThat(f).isBetween(475L, 499L));
      assertThat(stateKeys(h, WindowAssembler.VIDEO_FRAMES_STATE)).containsExactlyInAnyOrder(19 * SECOND, 39 * SECOND / 2);
      assertThat(h.extractOutputValues()).hasSize(19);
    }
  }

  @Test
  void aGapClosesOpenWindowsEarlyAndNeverSplicesAcrossIt() throws Exception {
    try (var h = harness(Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, false)));
      h.processElement(new StreamRecord<>(chunk(1, false)));
      h.processElement(new StreamRecord<>(chunk(2, false)));
      h.processElement(new StreamRecord<>(chunk(5, true))); // 3..5 s lost
      h.processElement(new StreamRecord<>(chunk(6, false)));

      List<WindowInput> out = h.extractOutputValues();
      assertThat(out).extracting(w -> w.window).containsExactly(0L, 1L, 2L, 4L, 5L);
      WindowInput beforeGap = out.get(2);
      assertThat(beforeGap.truncated).isTrue();
      assertThat(beforeGap.endUs).isEqualTo(3 * SECOND);
      assertThat(beforeGap.audioFrameCount).isEqualTo(25);
      WindowInput afterGap = out.get(3);
      assertThat(afterGap.startUs).isEqualTo(4 * SECOND);
      assertThat(afterGap.truncated).isTrue();
      assertThat(afterGap.firstAudioFrame).isEqualTo(125);
      assertThat(afterGap.audioFrameCount).isEqualTo(25);
      assertThat(afterGap.videoPtsUs).containsExactly(5 * SECOND, 11 * SECOND / 2);
      assertThat(out.get(4).truncated).isFalse();
    }
  }

  @Test
  void uniformPolicyTakesKEvenlySpacedFramesPerWindow() throws Exception {
    try (var h = harness(FramePolicy.parse("uniform:3", 2 * SECOND, SECOND), Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, false)));
      h.processElement(new StreamRecord<>(chunk(1, false)));
      // window [0, 2 s) holds grid frames 0..3 at 2 fps; uniform:3 picks indices 0, 1, 3
      WindowInput w = h.extractOutputValues().get(0);
      assertThat(w.videoPtsUs).containsExactly(0, SECOND / 2, 3 * SECOND / 2);
      assertThat(w.videoFrameCount).isEqualTo(3);
      assertThat(w.videoFeatures).containsExactly(0, 0, SECOND / 2, 0, 3 * SECOND / 2, 0);
    }
  }

  @Test
  void theEndOfABoundedInputFlushesTheLastWindows() throws Exception {
    try (var h = harness(Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, false)));
      h.processElement(new StreamRecord<>(chunk(1, false)));
      h.processElement(new StreamRecord<>(chunk(2, false)));
      assertThat(h.numEventTimeTimers()).isEqualTo(1);
      h.processWatermark(Long.MAX_VALUE);

      List<WindowInput> out = h.extractOutputValues();
      assertThat(out).extracting(w -> w.window).containsExactly(0L, 1L, 2L);
      assertThat(out.get(2).truncated).isTrue();
      assertThat(out.get(2).endUs).isEqualTo(3 * SECOND);
    }
  }

  @Test
  void anIdleStreamIsFlushedAndItsNextChunkStartsANewSegment() throws Exception {
    try (var h = harness(Duration.ofSeconds(30))) {
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(chunk(0, false)));
      h.processElement(new StreamRecord<>(chunk(1, false)));
      h.processElement(new StreamRecord<>(chunk(2, false)));
      h.setProcessingTime(10_000);
      assertThat(h.extractOutputValues()).hasSize(2);
      h.setProcessingTime(30_001);
      assertThat(h.extractOutputValues()).hasSize(3);

      h.processElement(new StreamRecord<>(chunk(3, false)));
      h.processElement(new StreamRecord<>(chunk(4, false)));
      List<WindowInput> out = h.extractOutputValues();
      // window 2 was flushed before the pause and is not reopened
      assertThat(out).extracting(w -> w.window).containsExactly(0L, 1L, 2L, 3L);
      assertThat(out.get(3).truncated).isFalse();
      assertThat(out.get(3).firstAudioFrame).isEqualTo(75);
    }
  }
}
