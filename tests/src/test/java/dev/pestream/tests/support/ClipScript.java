package dev.pestream.tests.support;

import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The content of one test stream on its own clock: 1 kHz tones over given intervals and a video
 * colour that changes at given times. Renders the whole clip or any one-second chunk of it as an
 * independently decodable Matroska file (FLAC audio at 48 kHz mono, H.264 video), with the signal
 * continuous across chunks, so chunked and whole-clip decoding see the same media.
 */
public final class ClipScript {
  public static final int FPS = 5;
  public static final int SAMPLE_RATE = 48_000;

  private final String streamId;
  private final double durationSec;
  private final List<double[]> tones = new ArrayList<>();
  private final List<double[]> colourChanges = new ArrayList<>();
  private final int firstColour;

  /** @param firstColour index into {@link SyntheticMedia#PALETTE} until the first change */
  public ClipScript(String streamId, double durationSec, int firstColour) {
    this.streamId = streamId;
    this.durationSec = durationSec;
    this.firstColour = firstColour;
  }

  public ClipScript tone(double fromSec, double toSec) {
    tones.add(new double[] {fromSec, toSec});
    return this;
  }

  /** From {@code atSec} on, frames show palette colour {@code colour}. */
  public ClipScript colourFrom(double atSec, int colour) {
    colourChanges.add(new double[] {atSec, colour});
    return this;
  }

  public String streamId() {
    return streamId;
  }

  public int chunkCount() {
    return (int) Math.ceil(durationSec);
  }

  public int colourAt(double t) {
    int colour = firstColour;
    for (double[] change : colourChanges) {
      if (t >= change[0]) {
        colour = (int) change[1];
      }
    }
    return colour;
  }

  /** The media of [fromSec, toSec) as a Matroska file whose clock starts at 0. */
  public byte[] render(double fromSec, double toSec, Path scratch) throws IOException {
    SyntheticMedia.Spec spec = SyntheticMedia.spec()
        .container(SyntheticMedia.Container.MATROSKA)
        .size(96, 64).fps(FPS).sampleRate(SAMPLE_RATE).channels(1)
        .duration(toSec - fromSec)
        .gop(FPS)
        .colours(frame -> colourAt(fromSec + (double) frame / FPS));
    for (double[] tone : tones) {
      // shifted to the piece's own clock; phase stays continuous across pieces
      spec.tone(tone[0] - fromSec, tone[1] - fromSec, 1000);
    }
    return SyntheticMedia.generate(spec, scratch);
  }

  /** One-second chunk {@code seq} as a MediaChunk record. */
  public MediaChunk chunk(int seq, Path scratch) throws IOException {
    return chunk(seq, 1.0, scratch);
  }

  /** Chunk {@code seq} of {@code chunkSec} seconds, [seq·chunkSec, (seq+1)·chunkSec), as a MediaChunk record. */
  public MediaChunk chunk(int seq, double chunkSec, Path scratch) throws IOException {
    double from = seq * chunkSec;
    double to = Math.min(durationSec, (seq + 1) * chunkSec);
    return MediaChunk.newBuilder()
        .setStreamId(streamId)
        .setSeq(seq)
        .setKind(MediaKind.AUDIO_VIDEO)
        .setContainer("matroska")
        .setAudioCodec("flac")
        .setVideoCodec("h264")
        .setStartUs(Math.round(from * 1_000_000))
        .setDurationUs(Math.round((to - from) * 1_000_000))
        .setIngestTimeMs(Instant.now())
        .setPayload(ByteBuffer.wrap(render(from, to, scratch)))
        .setAttributes(Map.of())
        .build();
  }
}
