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
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
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
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new FrameEncoderStage(TestModels.contract())), (DecodedChunk c) -> c.streamId,
        Types.STRING);
    h.setup(TypeInformation.of(EncodedChunk.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
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
      List<EncodedChunk> out = h.extractOutputValues();
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
      List<EncodedChunk> out = h.extractOutputValues();
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
      List<EncodedChunk> out = h.extractOutputValues();
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
      EncodedChunk e = h.extractOutputValues().get(0);
      assertThat(e.videoPtsUs).containsExactly(0, 500_000);
      assertThat(e.videoGridIndex).containsExactly(0, 1);
      assertThat(e.videoFrame(1)).containsExactly(models.frameEncoder().encode(pixels), org.assertj.core.api.Assertions.within(1e-4f));
      assertThat(e.endUs).isEqualTo(1_000_000);
    }
  }
}
