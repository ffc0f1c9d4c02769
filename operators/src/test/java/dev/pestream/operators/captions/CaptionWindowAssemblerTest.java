package dev.pestream.operators.captions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.operators.common.SegmentProgress;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.windows.AssemblerProgress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class CaptionWindowAssemblerTest {
  private static final long S = 1_000_000L;

  /** A chunk of [from, to) seconds of "cam" with frames every half second; a frame's JPEG bytes encode its time. */
  static CaptionChunk chunk(double from, double to) {
    CaptionChunk c = new CaptionChunk();
    c.streamId = "cam";
    c.startUs = Math.round(from * S);
    c.endUs = Math.round(to * S);
    c.seq = c.startUs / S;
    c.ingestTimeMs = 1000 + c.seq;
    List<CaptionFrame> frames = new ArrayList<>();
    for (long t = c.startUs; t < c.endUs; t += S / 2) {
      frames.add(new CaptionFrame(t, jpegOf(t)));
    }
    c.frames = frames.toArray(new CaptionFrame[0]);
    return c;
  }

  static byte[] jpegOf(long ptsUs) {
    return ByteBuffer.allocate(8).putLong(ptsUs).array();
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, CaptionChunk, CaptionRequest> harness(int maxFrames,
      Duration idle) throws Exception {
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new CaptionWindowAssembler(Duration.ofSeconds(10), Duration.ofSeconds(1), maxFrames, idle)),
        (CaptionChunk c) -> c.streamId, Types.STRING);
    h.setup(TypeInformation.of(CaptionRequest.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    return h;
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, CaptionChunk, CaptionRequest> opened(int maxFrames,
      Duration idle) throws Exception {
    var h = harness(maxFrames, idle);
    h.open();
    return h;
  }

  private static long[] pts(CaptionRequest r) {
    return Arrays.stream(r.frames).mapToLong(f -> f.ptsUs).toArray();
  }

  private static List<Long> slotsInState(KeyedOneInputStreamOperatorTestHarness<String, CaptionChunk, CaptionRequest> h)
      throws Exception {
    h.getOperator().setCurrentKey("cam");
    MapState<Long, CaptionFrame> state = h.getOperator().getKeyedStateBackend().getPartitionedState(
        VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        new MapStateDescriptor<>(CaptionWindowAssembler.FRAMES_STATE, Types.LONG, TypeInformation.of(CaptionFrame.class)));
    List<Long> keys = new ArrayList<>();
    state.keys().forEach(keys::add);
    return keys;
  }

  @Test
  void emitsAWindowWhenTheStreamPassesItsEndWithOneFramePerSecond() throws Exception {
    try (var h = opened(32, Duration.ZERO)) {
      for (int s = 0; s < 10; s += 2) {
        h.processElement(new StreamRecord<>(chunk(s, s + 2)));
        if (s < 8) {
          assertThat(h.extractOutputValues()).isEmpty();
        }
      }
      List<CaptionRequest> out = h.extractOutputValues();
      assertThat(out).hasSize(1);
      CaptionRequest w = out.get(0);
      assertThat(w.streamId).isEqualTo("cam");
      assertThat(w.window).isZero();
      assertThat(w.windowStartUs).isZero();
      assertThat(w.windowEndUs).isEqualTo(10 * S);
      assertThat(w.truncated).isFalse();
      assertThat(w.ingestTimeMs).isEqualTo(1008);
      assertThat(pts(w)).containsExactly(0, S, 2 * S, 3 * S, 4 * S, 5 * S, 6 * S, 7 * S, 8 * S, 9 * S);
      for (CaptionFrame f : w.frames) {
        assertThat(f.jpeg).isEqualTo(jpegOf(f.ptsUs));
      }
      assertThat(slotsInState(h)).isEmpty();
    }
  }

  @Test
  void moreSecondsThanMaxFramesAreThinnedEvenly() throws Exception {
    try (var h = opened(4, Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, 12)));
      CaptionRequest w = h.extractOutputValues().get(0);
      assertThat(pts(w)).containsExactly(0, 3 * S, 6 * S, 9 * S);
      // the next window's frames wait in state, one per second
      assertThat(slotsInState(h)).containsExactlyInAnyOrder(10L, 11L);
    }
  }

  @Test
  void theEarliestFrameOfASecondWinsWhicheverChunkBringsIt() throws Exception {
    try (var h = opened(32, Duration.ZERO)) {
      CaptionChunk late = chunk(0, 1);
      late.frames = new CaptionFrame[] {new CaptionFrame(600_000, jpegOf(600_000))};
      CaptionChunk early = chunk(0, 1);
      early.frames = new CaptionFrame[] {new CaptionFrame(200_000, jpegOf(200_000))};
      h.processElement(new StreamRecord<>(late));
      h.processElement(new StreamRecord<>(early));
      h.processElement(new StreamRecord<>(chunk(1, 10)));
      assertThat(pts(h.extractOutputValues().get(0))).startsWith(200_000, S);
    }
  }

  @Test
  void aGapClosesTheWindowEarlyAndTheNextStartsAfterIt() throws Exception {
    try (var h = opened(32, Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, 4)));
      CaptionChunk afterGap = chunk(14, 20);
      afterGap.gapBefore = true;
      h.processElement(new StreamRecord<>(afterGap));
      h.processElement(new StreamRecord<>(chunk(20, 30)));
      List<CaptionRequest> out = h.extractOutputValues();
      assertThat(out).extracting(r -> r.window).containsExactly(0L, 1L, 2L);
      assertThat(out.get(0).windowEndUs).isEqualTo(4 * S);
      assertThat(out.get(0).truncated).isTrue();
      assertThat(pts(out.get(0))).containsExactly(0, S, 2 * S, 3 * S);
      assertThat(out.get(1).windowStartUs).isEqualTo(10 * S);
      assertThat(out.get(1).truncated).isTrue(); // data only from 14 s
      assertThat(pts(out.get(1))).containsExactly(14 * S, 15 * S, 16 * S, 17 * S, 18 * S, 19 * S);
      assertThat(out.get(2).truncated).isFalse();
    }
  }

  @Test
  void aChunkThatFailedToDecodeIsAHoleAndAWindowIsNeverEmittedTwice() throws Exception {
    try (var h = opened(32, Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, 6)));
      CaptionChunk failed = chunk(6, 8);
      failed.decodeFailed = true;
      failed.frames = new CaptionFrame[0];
      h.processElement(new StreamRecord<>(failed));
      h.processElement(new StreamRecord<>(chunk(8, 20)));
      List<CaptionRequest> out = h.extractOutputValues();
      assertThat(out).extracting(r -> r.window).containsExactly(0L, 1L);
      assertThat(out.get(0).windowEndUs).isEqualTo(6 * S);
      assertThat(pts(out.get(1))).startsWith(10 * S).hasSize(10);
    }
  }

  @Test
  void theEndOfABoundedInputAndAnIdleStreamFlushTheOpenWindow() throws Exception {
    try (var h = opened(32, Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, 13)));
      h.processWatermark(Long.MAX_VALUE);
      assertThat(h.extractOutputValues()).extracting(r -> r.windowEndUs).containsExactly(10 * S, 13 * S);
    }
    try (var h = opened(32, Duration.ofSeconds(30))) {
      h.setProcessingTime(0);
      h.processElement(new StreamRecord<>(chunk(0, 3)));
      h.setProcessingTime(29_999);
      assertThat(h.extractOutputValues()).isEmpty();
      h.setProcessingTime(30_000);
      CaptionRequest w = h.extractOutputValues().get(0);
      assertThat(w.windowEndUs).isEqualTo(3 * S);
      assertThat(w.truncated).isTrue();
    }
  }

  @Test
  void aWindowWithoutFramesAsksForNothing() throws Exception {
    try (var h = opened(32, Duration.ZERO)) {
      CaptionChunk audioOnly = chunk(0, 10);
      audioOnly.frames = new CaptionFrame[0];
      h.processElement(new StreamRecord<>(audioOnly));
      h.processElement(new StreamRecord<>(chunk(10, 20)));
      assertThat(h.extractOutputValues()).extracting(r -> r.window).containsExactly(1L);
    }
  }

  @Test
  void anOpenWindowSurvivesARestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = opened(32, Duration.ZERO)) {
      h.processElement(new StreamRecord<>(chunk(0, 5)));
      snapshot = h.snapshot(1, 1);
    }
    try (var h = harness(32, Duration.ZERO)) {
      h.initializeState(snapshot);
      h.open();
      h.processElement(new StreamRecord<>(chunk(5, 10)));
      List<CaptionRequest> out = h.extractOutputValues();
      assertThat(out).hasSize(1);
      assertThat(pts(out.get(0))).hasSize(10).startsWith(0, S).endsWith(9 * S);
      assertThat(out.get(0).truncated).isFalse();
    }
  }

  @Test
  void theRecordsFlinkCarriesAreSerializedAsPojosNotKryo() {
    for (Class<?> type : List.of(CaptionRequest.class, CaptionChunk.class, CaptionFrame.class, SegmentProgress.class, AssemblerProgress.class,
        DecodedChunk.class)) {
      TypeInformation<?> info = TypeInformation.of(type);
      assertThat(info).as(type.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
      PojoTypeInfo<?> pojo = (PojoTypeInfo<?>) info;
      for (int i = 0; i < pojo.getArity(); i++) {
        assertThat(pojo.getPojoFieldAt(i).getTypeInformation())
            .as(type.getSimpleName() + "." + pojo.getPojoFieldAt(i).getField().getName())
            .isNotInstanceOf(GenericTypeInfo.class);
      }
    }
  }
}
