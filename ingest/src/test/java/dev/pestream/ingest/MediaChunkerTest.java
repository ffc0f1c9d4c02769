package dev.pestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.ChunkDecoder;
import dev.pestream.operators.decode.DecodeLimits;
import dev.pestream.operators.decode.DecodedChunk;
import dev.pestream.operators.decode.FramePolicy;
import dev.pestream.operators.decode.VideoPreprocessing;
import dev.pestream.operators.testing.DecodedMedia;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.schemas.MediaKind;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Chunks cut from a source must each decode on their own, on the stream clock, without seams. */
class MediaChunkerTest {
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(16);
  private static final long SECOND = 1_000_000L;

  private static Path dir;
  private static Path video;
  private static ChunkDecoder decoder;

  @BeforeAll
  static void generate() throws Exception {
    dir = Files.createTempDirectory("chunker-test");
    // 4 s, 25 fps, a keyframe every second, colours cycling, a tone from 2.5 s.
    video = write("av.mp4", SyntheticMedia.spec().container(Container.MP4_MOOV_AT_END).duration(4).tone(2.5, 3.5, 600));
    decoder = new ChunkDecoder(DecodeLimits.defaults(), new FramePolicy.Native(), PRE);
  }

  @AfterAll
  static void close() {
    decoder.close();
  }

  private static Path write(String name, SyntheticMedia.Spec spec) throws Exception {
    Path file = dir.resolve(name);
    Files.write(file, SyntheticMedia.generate(spec, dir));
    return file;
  }

  private static List<ChunkData> chunk(String source, ChunkingSettings settings) throws Exception {
    List<ChunkData> chunks = new ArrayList<>();
    MediaChunker.Connection c =
        MediaChunker.read(source, null, settings, 0, 10 * SECOND, () -> false, chunks::add);
    assertThat(c.failure()).isNull();
    assertThat(c.chunks()).isEqualTo(chunks.size());
    assertThat(c.lastEndUs()).isEqualTo(chunks.get(chunks.size() - 1).endUs());
    return chunks;
  }

  private static ChunkingSettings settings(long chunkUs, ChunkingSettings.Container container, boolean transcode) {
    return new ChunkingSettings(chunkUs, container, ChunkingSettings.AudioFormat.FLAC, transcode, 1_000_000);
  }

  private static List<DecodedChunk> decodeAll(List<ChunkData> chunks) throws Exception {
    List<DecodedChunk> out = new ArrayList<>();
    for (ChunkData c : chunks) {
      out.add(decoder.decode(c.bytes(), c.startUs(), c.durationUs(), c.container()));
    }
    return out;
  }

  /** Every source frame appears once, at its own time, with its own colour. */
  private static void assertFramesIntact(List<DecodedChunk> decoded, int frames) {
    assertFramesIntact(decoded, frames, 0);
  }

  /** As above, for a source whose video starts {@code offsetUs} after its first timestamp. */
  private static void assertFramesIntact(List<DecodedChunk> decoded, int frames, long offsetUs) {
    List<Long> pts = new ArrayList<>();
    for (DecodedChunk d : decoded) {
      for (int f = 0; f < d.frameCount(); f++) {
        pts.add(d.framePtsUs[f]);
        int sourceFrame = (int) ((d.framePtsUs[f] - offsetUs) / 40_000);
        assertThat(d.framePtsUs[f]).isEqualTo(offsetUs + sourceFrame * 40_000L);
        assertThat(DecodedMedia.paletteIndexOf(d, f, PRE)).as("frame at %d us", d.framePtsUs[f]).isEqualTo(sourceFrame % 8);
      }
    }
    assertThat(pts).hasSize(frames).isSorted().doesNotHaveDuplicates();
  }

  private static long onsetUs(List<DecodedChunk> decoded) {
    for (DecodedChunk d : decoded) {
      long onset = DecodedMedia.onsetUs(d);
      if (onset >= 0) {
        return onset;
      }
    }
    return -1;
  }

  @ParameterizedTest
  @EnumSource(value = ChunkingSettings.Container.class, names = {"AUTO", "MPEGTS", "MP4", "MATROSKA"})
  void remuxesAtKeyframesIntoIndependentChunks(ChunkingSettings.Container container) throws Exception {
    List<ChunkData> chunks = chunk(video.toString(), settings(SECOND, container, false));

    // OpenH264 puts keyframes where it likes (scene changes): each chunk ends at the first
    // keyframe a second or more after its start.
    assertThat(chunks.size()).isBetween(2, 4);
    String expected = container == ChunkingSettings.Container.AUTO ? "mpegts" : container.name().toLowerCase();
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.container()).isEqualTo(expected);
      assertThat(c.kind()).isEqualTo(MediaKind.AUDIO_VIDEO);
      assertThat(c.videoCodec()).isEqualTo("h264");
      assertThat(c.audioCodec()).isEqualTo("aac");
    });
    assertThat(chunks.get(0).startUs()).isZero();
    for (int k = 0; k < chunks.size() - 1; k++) {
      assertThat(chunks.get(k).durationUs()).as("chunk %d", k).isGreaterThanOrEqualTo(SECOND - 25_000L);
    }
    for (int k = 1; k < chunks.size(); k++) {
      assertThat(chunks.get(k).startUs()).as("no hole or overlap before chunk %d", k)
          .isCloseTo(chunks.get(k - 1).endUs(), within(25_000L));
    }
    List<DecodedChunk> decoded = decodeAll(chunks);
    assertFramesIntact(decoded, 100);
    assertThat(onsetUs(decoded)).as("tone onset on the stream clock").isCloseTo(2_500_000L, within(1000L));
  }

  @Test
  void sparseKeyframesMakeLongerChunks() throws Exception {
    Path gop2 =
        write("gop2.ts", SyntheticMedia.spec().container(Container.MPEGTS).duration(4).gop(50)
            .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4));
    List<ChunkData> chunks = chunk(gop2.toString(), settings(SECOND, ChunkingSettings.Container.AUTO, false));
    assertThat(chunks).hasSize(2);
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.videoCodec()).isEqualTo("mpeg4");
      assertThat(c.durationUs()).isCloseTo(2 * SECOND, within(25_000L));
    });
    assertThat(chunks.get(1).startUs()).as("an audio frame may straddle the cut").isCloseTo(chunks.get(0).endUs(), within(25_000L));
    // This MPEG-TS source starts with AAC priming: its video begins one AAC frame (1024 / 44100 s) in.
    assertFramesIntact(decodeAll(chunks), 100, 23_222);
  }

  @Test
  void transcodingCutsExactlyOnTheGridWhateverTheKeyframes() throws Exception {
    Path gop4 = write("gop4.mp4", SyntheticMedia.spec().container(Container.MP4_MOOV_AT_END).duration(3).gop(100).tone(1.5, 2.5, 600));
    List<ChunkData> chunks = chunk(gop4.toString(), settings(SECOND, ChunkingSettings.Container.AUTO, true));
    assertThat(chunks).hasSize(3);
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.container()).isEqualTo("matroska");
      assertThat(c.videoCodec()).isEqualTo("h264");
      assertThat(c.audioCodec()).isEqualTo("flac");
    });
    List<DecodedChunk> decoded = decodeAll(chunks);
    for (int k = 0; k < 3; k++) {
      assertThat(chunks.get(k).startUs()).isEqualTo(k * SECOND);
      assertThat(decoded.get(k).frameCount()).as("chunk %d", k).isEqualTo(25);
      assertThat(decoded.get(k).audioStartSample).isEqualTo(48_000L * k);
    }
    assertFramesIntact(decoded, 75);
    assertThat(onsetUs(decoded)).isCloseTo(1_500_000L, within(1000L));
  }

  @ParameterizedTest
  @EnumSource(ChunkingSettings.AudioFormat.class)
  void audioOnlySourcesBecomeSampleExactLosslessChunks(ChunkingSettings.AudioFormat format) throws Exception {
    Path wav = write("a.wav", SyntheticMedia.spec().container(Container.WAV).duration(3.5).tone(1.7, 2.2, 700));
    List<ChunkData> chunks =
        chunk(wav.toString(), new ChunkingSettings(SECOND, ChunkingSettings.Container.AUTO, format, false, 1_000_000));
    assertThat(chunks).hasSize(4);
    String container = format.name().toLowerCase();
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.container()).isEqualTo(container);
      assertThat(c.kind()).isEqualTo(MediaKind.AUDIO);
      assertThat(c.videoCodec()).isNull();
    });
    List<DecodedChunk> decoded = decodeAll(chunks);
    for (int k = 0; k < 4; k++) {
      assertThat(chunks.get(k).startUs()).isEqualTo(k * SECOND);
      assertThat(decoded.get(k).audioStartSample).isEqualTo(AudioClock.sampleIndexOf(k * SECOND));
      if (k > 0) {
        assertThat(decoded.get(k).audioStartSample).as("chunks tile the clock").isEqualTo(decoded.get(k - 1).audioEndSample());
      }
    }
    assertThat(chunks.get(3).durationUs()).isEqualTo(SECOND / 2);
    assertThat(onsetUs(decoded)).isCloseTo(1_700_000L, within(1000L));
  }

  @Test
  void readsStandardInput() throws Exception {
    byte[] ts =
        SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MPEGTS).noAudio().duration(2).gop(25)
            .videoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4), dir);
    List<ChunkData> chunks = new ArrayList<>();
    MediaChunker.Connection c =
        MediaChunker.read(
            SourceReader.STDIN, new ByteArrayInputStream(ts), ChunkingSettings.defaults(), 5 * SECOND, 10 * SECOND,
            () -> false, chunks::add);
    assertThat(c.failure()).isNull();
    assertThat(chunks).hasSize(2);
    // The clock offset moves the whole source: its first timestamp lands at 5 s.
    assertThat(chunks.get(0).startUs()).isEqualTo(5 * SECOND);
    List<DecodedChunk> decoded = decodeAll(chunks);
    assertThat(decoded.get(0).framePtsUs[0]).isEqualTo(5 * SECOND);
    assertThat(decoded.stream().mapToInt(DecodedChunk::frameCount).sum()).isEqualTo(50);
  }

  @Test
  void unreadableSourcesFailClearly() throws Exception {
    Path missing = dir.resolve("does-not-exist.mp4");
    assertThatThrownBy(() -> MediaChunker.read(missing.toString(), null, ChunkingSettings.defaults(), 0, SECOND, () -> false, c -> {}))
        .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.UNREADABLE))
        .hasMessageContaining("does-not-exist.mp4")
        .hasMessageContaining("No such file");
    Path garbage = Files.writeString(dir.resolve("garbage.bin"), "not media at all\n".repeat(100));
    assertThatThrownBy(() -> MediaChunker.read(garbage.toString(), null, ChunkingSettings.defaults(), 0, SECOND, () -> false, c -> {}))
        .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.UNREADABLE))
        .hasMessageContaining("garbage.bin");
  }

  @Test
  void redactsCredentialsFromSourceNames() {
    assertThat(SourceReader.redact("rtsp://admin:secret@10.0.0.5:554/stream")).isEqualTo("rtsp://10.0.0.5:554/stream");
    assertThat(SourceReader.redact("/media/a@b.mp4")).isEqualTo("/media/a@b.mp4");
    assertThat(SourceReader.isNetwork("srt://host:9000")).isTrue();
    assertThat(SourceReader.isNetwork("file:///a.mp4")).isFalse();
    assertThat(SourceReader.isNetwork("/a.mp4")).isFalse();
  }
}
