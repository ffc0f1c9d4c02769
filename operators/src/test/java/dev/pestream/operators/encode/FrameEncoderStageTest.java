package dev.pestream.operators.encode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.Models;
import dev.pestream.models.runtime.RuntimeOptions;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.support.TestModels;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FrameEncoderStageTest {
  private static Models models;

  @BeforeAll
  static void open() {
    models = Models.open(TestModels.contractBundle(), RuntimeOptions.cpu());
  }

  @AfterAll
  static void close() {
    models.close();
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, DecodedChunk, EncodedChunk> harness() throws Exception {
    return harness(FrameEncoderStage.DEFAULT_MAX_IN_FLIGHT);
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, DecodedChunk, EncodedChunk> harness(int maxInFlight)
      throws Exception {
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new FrameEncoderStage(TestModels.contract(), maxInFlight), (DecodedChunk c) -> c.streamId, Types.STRING);
    h.setup(TypeInformation.of(EncodedChunk.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
  }

  /** Everything in flight, as a checkpoint barrier would have it emitted. */
  private static List<EncodedChunk> drained(KeyedOneInputStreamOperatorTestHarness<String, DecodedChunk, EncodedChunk> h)
      throws Exception {
    h.prepareSnapshotPreBarrier(0);
    return h.extractOutputValues();
  }

  private static DecodedChunk audio(long seq, long startSample, float[] samples) {
    DecodedChunk c = new DecodedChunk();
    c.streamId = "cam";
    c.seq = seq;
    c.startUs = startSample * 1_000_000 / 48_000;
    c.durationUs = samples.length * 1_000_000L / 48_000;
    c.audioStartSample = startSample;
    c.audio = samples;
    return c;
  }

  @Test
  void chunkedAudioGivesTheSameFeaturesAsTheWholeClipOnTheFrameGrid() throws Exception {
    float[] clip = TestModels.toneWaveform(4, 0.7, 2.9);
    float[][] whole = models.audioCodec().encode(clip);
    int[] cuts = {0, 50_000, 96_017, 150_000, clip.length};
    try (var h = harness()) {
      for (int i = 0; i + 1 < cuts.length; i++) {
        h.processElement(new StreamRecord<>(audio(i, cuts[i], Arrays.copyOfRange(clip, cuts[i], cuts[i + 1]))));
      }
      List<EncodedChunk> out = drained(h);
      long expectedFrame = 0;
      for (EncodedChunk c : out) {
        assertThat(c.firstAudioFrame).isEqualTo(expectedFrame);
        for (int f = 0; f < c.audioFrameCount; f++) {
          assertThat(c.audioFrame(f)).containsExactly(whole[(int) (c.firstAudioFrame + f)], org.assertj.core.api.Assertions.within(1e-4f));
        }
        assertThat(c.endUs).isEqualTo((c.firstAudioFrame + c.audioFrameCount) * 40_000);
        expectedFrame += c.audioFrameCount;
      }
      assertThat(expectedFrame).isEqualTo(whole.length);
    }
  }

  @Test
  void aGapFlushesThePaddedTailFirstAndMarksTheNextChunk() throws Exception {
    float[] clip = TestModels.toneWaveform(2, 0, 2);
    try (var h = harness()) {
      h.processElement(new StreamRecord<>(audio(0, 0, Arrays.copyOfRange(clip, 0, 50_000))));
      DecodedChunk afterGap = audio(1, 5 * 48_000, Arrays.copyOfRange(clip, 0, 48_000));
      afterGap.gapBefore = true;
      h.processElement(new StreamRecord<>(afterGap));
      List<EncodedChunk> out = drained(h);
      assertThat(out).hasSize(3);
      assertThat(out.get(0).audioFrameCount).isEqualTo(26); // 50000 samples = 26 whole frames
      EncodedChunk tail = out.get(1);
      assertThat(tail.firstAudioFrame).isEqualTo(26);
      assertThat(tail.audioFrameCount).isEqualTo(1); // 80 samples, reflect-padded
      assertThat(tail.audioEndUs).isEqualTo(50_000L * 1_000_000 / 48_000);
      assertThat(tail.gapBefore).isFalse();
      assertThat(out.get(2).gapBefore).isTrue();
      assertThat(out.get(2).firstAudioFrame).isEqualTo(125);
    }
  }

  @Test
  void aChunkThatFailedToDecodeIsAHole() throws Exception {
    try (var h = harness()) {
      h.processElement(new StreamRecord<>(audio(0, 0, new float[48_000])));
      DecodedChunk failed = audio(1, 48_000, new float[0]);
      failed.decodeFailed = true;
      h.processElement(new StreamRecord<>(failed));
      h.processElement(new StreamRecord<>(audio(2, 96_000, new float[48_000])));
      List<EncodedChunk> out = drained(h);
      assertThat(out).extracting(c -> c.gapBefore).containsExactly(false, true);
    }
  }

  @Test
  void videoFramesAreEncodedOnceEachWithTheirTimes() throws Exception {
    int s = 224;
    byte[] red = new byte[s * s * 3];
    for (int p = 0; p < s * s; p++) {
      red[p * 3] = (byte) 220;
    }
    float[] pixels = models.frameEncoder().toPixelValues(red, s, s);
    DecodedChunk c = audio(0, 0, new float[0]);
    c.durationUs = 1_000_000;
    c.imageSize = s;
    c.framePtsUs = new long[] {0, 500_000};
    c.frameIndex = new long[] {0, 1};
    c.frameRateNum = 2;
    c.pixels = new float[2 * pixels.length];
    System.arraycopy(pixels, 0, c.pixels, 0, pixels.length);
    System.arraycopy(pixels, 0, c.pixels, pixels.length, pixels.length);
    try (var h = harness()) {
      h.processElement(new StreamRecord<>(c));
      EncodedChunk e = drained(h).get(0);
      assertThat(e.videoPtsUs).containsExactly(0, 500_000);
      assertThat(e.videoGridIndex).containsExactly(0, 1);
      assertThat(e.videoFrame(1)).containsExactly(models.frameEncoder().encode(pixels), org.assertj.core.api.Assertions.within(1e-4f));
      assertThat(e.endUs).isEqualTo(1_000_000);
    }
  }

  private static DecodedChunk second(String stream, long seq, float[] clip) {
    DecodedChunk c = audio(seq, seq * 48_000, Arrays.copyOfRange(clip, (int) seq * 48_000, (int) (seq + 1) * 48_000));
    c.streamId = stream;
    return c;
  }

  @Test
  void chunksInFlightAreBoundedAndLeaveInArrivalOrderWithTheSameFeatures() throws Exception {
    float[] clip = TestModels.toneWaveform(4, 0.5, 3.1);
    List<EncodedChunk> oneAtATime;
    try (var h = harness(0)) {
      for (int seq = 0; seq < 4; seq++) {
        for (String stream : List.of("a", "b")) {
          h.processElement(new StreamRecord<>(second(stream, seq, clip)));
          // not pipelined: each chunk is out before the operator returns
          assertThat(h.extractOutputValues()).hasSize(2 * seq + (stream.equals("a") ? 1 : 2));
        }
      }
      oneAtATime = drained(h);
    }
    try (var h = harness(3)) {
      int sent = 0;
      for (int seq = 0; seq < 4; seq++) {
        for (String stream : List.of("a", "b")) {
          h.processElement(new StreamRecord<>(second(stream, seq, clip)));
          sent++;
          assertThat(h.extractOutputValues().size()).isGreaterThanOrEqualTo(sent - 3);
        }
      }
      List<EncodedChunk> pipelined = drained(h);
      assertThat(pipelined).extracting(c -> c.streamId + c.seq)
          .containsExactly("a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3");
      for (int i = 0; i < pipelined.size(); i++) {
        assertThat(pipelined.get(i).firstAudioFrame).isEqualTo(oneAtATime.get(i).firstAudioFrame);
        // other batch sizes than one chunk at a time: equal up to float rounding
        assertThat(pipelined.get(i).audioFeatures).containsExactly(oneAtATime.get(i).audioFeatures,
            org.assertj.core.api.Assertions.within(1e-5f));
        assertThat(pipelined.get(i).endUs).isEqualTo(oneAtATime.get(i).endUs);
      }
    }
  }

  @Test
  void aCheckpointEmitsEveryChunkInFlightAndRestoresOnlyTheFramerState() throws Exception {
    float[] clip = TestModels.toneWaveform(5, 1.2, 4.4);
    List<EncodedChunk> uninterrupted;
    try (var h = harness(4)) {
      for (int seq = 0; seq < 5; seq++) {
        h.processElement(new StreamRecord<>(second("cam", seq, clip)));
      }
      uninterrupted = drained(h);
    }
    org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
    try (var h = harness(4)) {
      for (int seq = 0; seq < 3; seq++) {
        h.processElement(new StreamRecord<>(second("cam", seq, clip)));
      }
      h.prepareSnapshotPreBarrier(1); // what the task does before it snapshots and sends the barrier on
      snapshot = h.snapshot(1, 1);
      // the barrier left after all three: none of them is in the checkpoint, none is lost
      assertThat(h.extractOutputValues()).extracting(c -> c.seq).containsExactly(0L, 1L, 2L);
    }
    var restored = new KeyedOneInputStreamOperatorTestHarness<>(
        new FrameEncoderStage(TestModels.contract(), 4), (DecodedChunk c) -> c.streamId, Types.STRING);
    try (restored) {
      restored.setup(TypeInformation.of(EncodedChunk.class).createSerializer(
          restored.getExecutionConfig().getSerializerConfig()));
      restored.initializeState(snapshot);
      restored.open();
      for (int seq = 3; seq < 5; seq++) {
        restored.processElement(new StreamRecord<>(second("cam", seq, clip)));
      }
      List<EncodedChunk> after = drained(restored);
      assertThat(after).extracting(c -> c.seq).containsExactly(3L, 4L);
      for (int i = 0; i < after.size(); i++) {
        EncodedChunk expected = uninterrupted.get(3 + i);
        assertThat(after.get(i).firstAudioFrame).isEqualTo(expected.firstAudioFrame);
        assertThat(after.get(i).audioFeatures).containsExactly(expected.audioFeatures,
            org.assertj.core.api.Assertions.within(1e-5f));
      }
    }
  }
}
