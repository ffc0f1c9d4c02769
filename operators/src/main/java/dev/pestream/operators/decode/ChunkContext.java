package dev.pestream.operators.decode;

import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVRational;

/**
 * One chunk as its track decoders see it: the open demuxer, where its timestamps land on the
 * stream clock, and the guards every decoded frame passes (deadline, decoded duration).
 */
final class ChunkContext {
  final DecodeLimits limits;
  /** The chunk's earliest timestamp on the stream clock. */
  final long startUs;
  private final SandboxedInput in;
  private final long originUs;

  ChunkContext(SandboxedInput in, DecodeLimits limits, long startUs) {
    this.in = in;
    this.limits = limits;
    this.startUs = startUs;
    long start = in.context().start_time();
    this.originUs = start == AV_NOPTS_VALUE ? 0 : start;
  }

  AVFormatContext demuxer() {
    return in.context();
  }

  /**
   * An FFmpeg timestamp on the stream clock: {@code startUs + (pts - start_time)}, where {@code
   * start_time} is the container's earliest timestamp.
   */
  long toStreamUs(long ts, AVRational timeBase) {
    return startUs + av_rescale(ts, 1_000_000L * timeBase.num(), timeBase.den()) - originUs;
  }

  void checkDuration(long us, String kind) throws DecodeException {
    long rel = us - startUs;
    if (rel > limits.maxDurationUs() || rel < -limits.maxDurationUs()) {
      throw new DecodeException(
          DecodeFailure.DURATION_LIMIT,
          kind + " at " + rel / 1000 + " ms from the chunk start is beyond the " + limits.maxDurationUs() / 1000
              + " ms limit");
    }
  }

  void checkDeadline() throws DecodeException {
    if (in.pastDeadline()) {
      throw new DecodeException(
          DecodeFailure.TIMEOUT, "decoding exceeded its time budget of " + limits.maxDecodeMillis() + " ms");
    }
  }
}
