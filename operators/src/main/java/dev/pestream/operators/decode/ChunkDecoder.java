package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;

import static org.bytedeco.ffmpeg.global.avcodec.AVDISCARD_ALL;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes one untrusted media chunk (container bytes) into model-ready audio and video, with
 * FFmpeg doing all signal work: the resampler ({@code swresample}) turns audio into mono 48 kHz
 * float, the scaler ({@code swscale}, bilinear) turns kept frames into {@code S x S} RGB.
 *
 * <p>This class coordinates: it opens the sandboxed input, enforces the chunk-wide limits and
 * hands each packet to the track it belongs to, {@link VideoTrackDecoder} (frame policy, scaling,
 * normalisation, caption frames) or {@link AudioTrackDecoder} (resampling onto the stream clock),
 * then assembles the {@link DecodedChunk}.
 *
 * <p>Safety: the bytes are demuxed through {@link SandboxedInput} (demuxer allow-list, no nested
 * opens, no protocols, deadline); decoders must be on the codec allow-list; {@link DecodeLimits}
 * bound payload size, decoded duration, frame count, resolution and wall time; damaged data fails
 * the chunk instead of being concealed. Every failure is a {@link DecodeException}.
 *
 * <p>Clock: FFmpeg timestamps are mapped to the stream clock as {@code startUs + (pts -
 * start_time)}, where {@code start_time} is the container's earliest timestamp ({@link
 * ChunkContext}); the ingest command writes chunks whose start is that earliest timestamp on the
 * stream clock.
 *
 * <p>Optionally ({@link CaptionFramePolicy}) a second video output: caption frames, one per
 * interval slot, resized bicubic and JPEG-encoded by {@link CaptionFrameSampler}, from the same
 * decoded pictures (the untrusted bytes are demuxed and decoded once, under the same guards).
 *
 * <p>Not thread-safe: one instance per thread (one per Flink subtask). Native buffers and scratch
 * arrays are reused across chunks; {@link #close()} frees them.
 */
public final class ChunkDecoder implements AutoCloseable {
  private final DecodeLimits limits;
  private final FramePolicy policy;
  private final VideoPreprocessing preprocessing;
  private final SandboxedInput.DemuxerPolicy demuxers;

  private final AVPacket packet;
  private final VideoTrackDecoder video;
  private final AudioTrackDecoder audio;
  private BytePointer input;
  private long inputCapacity;
  private boolean closed;

  public ChunkDecoder(DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing) {
    this(limits, policy, preprocessing, SandboxedInput.DemuxerPolicy.DEFAULT, null);
  }

  /**
   * With caption frames as a second video output ({@link DecodedChunk#captionPtsUs}, {@link
   * DecodedChunk#captionJpegs}); {@code captions} null = none.
   */
  public ChunkDecoder(
      DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, CaptionFramePolicy captions) {
    this(limits, policy, preprocessing, SandboxedInput.DemuxerPolicy.DEFAULT, captions);
  }

  /** With other demuxer rules (tests widen them to prove the other guards hold on their own). */
  ChunkDecoder(
      DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, SandboxedInput.DemuxerPolicy demuxers) {
    this(limits, policy, preprocessing, demuxers, null);
  }

  private ChunkDecoder(
      DecodeLimits limits,
      FramePolicy policy,
      VideoPreprocessing preprocessing,
      SandboxedInput.DemuxerPolicy demuxers,
      CaptionFramePolicy captions) {
    this.limits = limits;
    this.policy = policy;
    this.preprocessing = preprocessing;
    this.demuxers = demuxers;
    this.packet = av_packet_alloc();
    this.video = new VideoTrackDecoder(limits, policy, preprocessing, captions);
    this.audio = new AudioTrackDecoder(limits);
  }

  public DecodeLimits limits() {
    return limits;
  }

  public FramePolicy policy() {
    return policy;
  }

  public VideoPreprocessing preprocessing() {
    return preprocessing;
  }

  /**
   * Decodes {@code payload}, a whole container (mp4, MPEG-TS, Matroska/WebM, WAV, FLAC, Ogg,
   * ADTS AAC, MP3), whose earliest timestamp is at {@code startUs} on the stream clock. The
   * result has the media fields filled in and {@code startUs} set; the caller fills in the
   * chunk's identity.
   */
  public DecodedChunk decode(byte[] payload, long startUs) throws DecodeException {
    return decode(payload, startUs, 0, null);
  }

  /**
   * As {@link #decode(byte[], long)}, with what the chunk's record says about it.
   *
   * @param declaredDurationUs the duration the record declares (0 = unknown): media ending
   *     noticeably earlier (more than {@link #truncationToleranceUs}) fails as truncated, the
   *     tell-tale of a cut chunk in formats that do not fail on truncation by themselves
   *     (MPEG-TS, Matroska, MP3, Ogg). Container headers are not trusted for this: muxers write
   *     sloppy durations.
   * @param containerHint the record's container name (may be null). The decoder probes the
   *     bytes and ignores the hint when the probe finds an allowed demuxer (so a mislabelled
   *     chunk still decodes as what it is); only when the probe finds a demuxer that is not
   *     allowed (tiny MPEG-TS chunks can look like MPEG-PS) is a structured demuxer named by
   *     the hint tried instead.
   */
  public DecodedChunk decode(byte[] payload, long startUs, long declaredDurationUs, String containerHint)
      throws DecodeException {
    if (closed) {
      throw new IllegalStateException("decoder is closed");
    }
    if (payload == null || payload.length == 0) {
      throw new DecodeException(DecodeFailure.EMPTY, "empty payload");
    }
    if (payload.length > limits.maxPayloadBytes()) {
      throw new DecodeException(
          DecodeFailure.TOO_LARGE,
          "payload of " + payload.length + " bytes exceeds the limit of " + limits.maxPayloadBytes());
    }
    long deadline = System.nanoTime() + limits.maxDecodeMillis() * 1_000_000L;
    copyToNative(payload);
    try (SandboxedInput in = SandboxedInput.open(input, payload.length, deadline, demuxers, containerHint)) {
      ChunkContext chunk = new ChunkContext(in, limits, startUs);
      video.startChunk(chunk);
      audio.startChunk(chunk);
      try {
        DecodedChunk out = demuxAndDecode(in, chunk);
        checkComplete(out.durationUs, declaredDurationUs);
        return out;
      } finally {
        video.endChunk();
        audio.endChunk();
      }
    }
  }

  /**
   * Video pictures decoded for the last chunk, kept or not: with {@code fps:N} or {@code
   * uniform:K}, dropped frames no other frame references are not decoded and not counted.
   */
  public int lastVideoFramesDecoded() {
    return video.decodedFrames();
  }

  /**
   * How much shorter than declared decoded media may be before the chunk counts as truncated:
   * 40 ms or 2 % of the declared duration, whichever is larger (frame and packet granularity).
   */
  public static long truncationToleranceUs(long declaredUs) {
    return Math.max(40_000L, declaredUs / 50);
  }

  private void copyToNative(byte[] payload) {
    if (inputCapacity < payload.length) {
      if (input != null) {
        av_free(input);
      }
      long capacity = Math.max(payload.length, Math.min(2L * inputCapacity, limits.maxPayloadBytes()));
      input = new BytePointer(av_malloc(capacity)).capacity(capacity);
      if (input.isNull()) {
        inputCapacity = 0;
        input = null;
        throw new OutOfMemoryError("chunk buffer of " + capacity + " bytes");
      }
      inputCapacity = capacity;
    }
    input.position(0).put(payload, 0, payload.length);
  }

  private DecodedChunk demuxAndDecode(SandboxedInput in, ChunkContext chunk) throws DecodeException {
    AVFormatContext oc = in.context();
    openStreams(oc);
    while (true) {
      chunk.checkDeadline();
      int ret = av_read_frame(oc, packet);
      if (ret == AVERROR_EOF) {
        break;
      }
      if (ret < 0) {
        throw in.failure(DecodeFailure.CORRUPT, "demuxing failed: " + FfmpegErrors.describe(ret));
      }
      try {
        if ((packet.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
          throw new DecodeException(DecodeFailure.CORRUPT, "the demuxer flagged a packet as corrupt");
        }
        int index = packet.stream_index();
        if (video.reads(index)) {
          video.decode(packet);
        } else if (audio.reads(index)) {
          audio.decode(packet);
        }
      } finally {
        av_packet_unref(packet);
      }
    }
    video.flush();
    audio.flush();

    DecodedChunk out = new DecodedChunk();
    out.startUs = chunk.startUs;
    video.fill(out);
    audio.fill(out);
    long end = Math.max(chunk.startUs, Math.max(audio.endUs(), video.endUs()));
    out.durationUs = end - chunk.startUs;
    return out;
  }

  /** Picks the best video (not cover art) and audio streams, discards the others, opens their decoders. */
  private void openStreams(AVFormatContext oc) throws DecodeException {
    int v = av_find_best_stream(oc, AVMEDIA_TYPE_VIDEO, -1, -1, (PointerPointer<?>) null, 0);
    if (v >= 0 && (oc.streams(v).disposition() & AV_DISPOSITION_ATTACHED_PIC) != 0) {
      v = -1; // cover art, not video
    }
    int a = av_find_best_stream(oc, AVMEDIA_TYPE_AUDIO, -1, v, (PointerPointer<?>) null, 0);
    if (v < 0 && a < 0) {
      throw new DecodeException(DecodeFailure.NO_MEDIA, "the container holds no audio or video stream");
    }
    for (int i = 0; i < oc.nb_streams(); i++) {
      if (i != v && i != a) {
        oc.streams(i).discard(AVDISCARD_ALL);
      }
    }
    if (v >= 0) {
      video.open(oc.streams(v));
    }
    if (a >= 0) {
      audio.open(oc.streams(a));
    }
  }

  private static void checkComplete(long decodedUs, long declaredDurationUs) throws DecodeException {
    if (declaredDurationUs > 0 && decodedUs + truncationToleranceUs(declaredDurationUs) < declaredDurationUs) {
      throw new DecodeException(
          DecodeFailure.CORRUPT,
          "truncated: the chunk declares " + declaredDurationUs / 1000 + " ms of media, only " + decodedUs / 1000
              + " ms decoded");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    av_packet_free(packet);
    video.close();
    audio.close();
    if (input != null) {
      av_free(input);
      input = null;
    }
  }
}
