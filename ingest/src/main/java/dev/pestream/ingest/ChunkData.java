package dev.pestream.ingest;

import dev.pestream.schemas.MediaKind;

/**
 * One chunk cut from a source, before it becomes a record: a self-contained container and where
 * it lies on the stream clock.
 *
 * @param bytes the container bytes (decodable on their own)
 * @param container FFmpeg demuxer name of the container ({@code mpegts}, {@code mp4}, ...)
 * @param startUs earliest timestamp in the chunk, on the stream clock
 * @param durationUs from {@code startUs} to the end of the last packet
 * @param discontinuity media is missing right before this chunk (the source reconnected)
 */
public record ChunkData(
    byte[] bytes,
    String container,
    MediaKind kind,
    String audioCodec,
    String videoCodec,
    long startUs,
    long durationUs,
    boolean discontinuity) {

  public long endUs() {
    return startUs + durationUs;
  }

  /** The same chunk marked as following a discontinuity. */
  public ChunkData withDiscontinuity() {
    return new ChunkData(bytes, container, kind, audioCodec, videoCodec, startUs, durationUs, true);
  }
}
