package dev.pestream.ingest;

import java.util.Locale;

/**
 * How a source is cut into chunks.
 *
 * @param chunkDurationUs target chunk length; remuxed video chunks end at the first keyframe at
 *     or after it (so they are at least this long, longer with sparse keyframes)
 * @param container container of remuxed and transcoded video chunks
 * @param audioFormat container of audio-only chunks (always re-encoded, sample-exact)
 * @param transcode re-encode video (H.264 via OpenH264, FLAC audio, Matroska) instead of remuxing,
 *     cutting exactly every {@code chunkDurationUs} on the stream clock
 * @param videoBitrate bits per second of transcoded video
 */
public record ChunkingSettings(
    long chunkDurationUs, Container container, AudioFormat audioFormat, boolean transcode, long videoBitrate) {
  public static final long DEFAULT_CHUNK_US = 1_000_000L;
  public static final long DEFAULT_VIDEO_BITRATE = 2_000_000L;

  public ChunkingSettings {
    if (chunkDurationUs < 100_000 || chunkDurationUs > 60_000_000) {
      throw new IllegalArgumentException("chunk duration must be within 0.1 s .. 60 s, got " + chunkDurationUs + " us");
    }
    if (videoBitrate < 10_000) {
      throw new IllegalArgumentException("video bitrate must be at least 10 kbit/s");
    }
  }

  public static ChunkingSettings defaults() {
    return new ChunkingSettings(DEFAULT_CHUNK_US, Container.AUTO, AudioFormat.FLAC, false, DEFAULT_VIDEO_BITRATE);
  }

  /** Container of chunks that carry video. */
  public enum Container {
    /** MPEG-TS when it can carry the codecs, else fragmented MP4, else Matroska. */
    AUTO,
    MPEGTS,
    /** Fragmented MP4 (moov up front, one fragment per keyframe). */
    MP4,
    MATROSKA;

    public static Container parse(String text) {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    }
  }

  /** Container of audio-only chunks. */
  public enum AudioFormat {
    FLAC,
    WAV;

    public static AudioFormat parse(String text) {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    }
  }
}
