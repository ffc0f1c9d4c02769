package dev.pestream.operators.decode;

import dev.pestream.media.CodecAllowList;
import dev.pestream.media.FfmpegErrors;

import static org.bytedeco.ffmpeg.global.avcodec.AVDISCARD_DEFAULT;
import static org.bytedeco.ffmpeg.global.avcodec.AVDISCARD_NONREF;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * What the video and audio paths of {@link ChunkDecoder} share: one stream's FFmpeg decoder,
 * which must be on the codec allow-list and runs under the {@link DecodeLimits}, fed the stream's
 * packets; each decoded frame goes to {@link #onFrame()}. Damaged data (a failed send or receive,
 * a frame decoded with errors) fails the chunk instead of being concealed.
 *
 * <p>One per decoder and track kind, kept across chunks: {@link #startChunk} and {@link
 * #endChunk} bracket each chunk (the codec context lives for one chunk), native buffers and
 * scratch arrays live until {@link #close()}.
 */
abstract class TrackDecoder implements AutoCloseable {
  /** Scratch arrays larger than this (bytes) are released after a chunk instead of kept for the next. */
  static final int MAX_RETAINED_SCRATCH_BYTES = 64 << 20;

  final DecodeLimits limits;
  /** The decoded frame {@link #onFrame()} handles; unreferenced after it. */
  final AVFrame frame;
  /** The chunk being decoded. */
  ChunkContext chunk;
  /** This chunk's stream of this kind, or null when the chunk has none. */
  AVStream stream;
  private final String kind;
  private AVCodecContext codec;

  TrackDecoder(String kind, DecodeLimits limits) {
    this.kind = kind;
    this.limits = limits;
    this.frame = av_frame_alloc();
  }

  /** Forgets the previous chunk; subclasses reset their per-chunk state too. */
  void startChunk(ChunkContext chunk) {
    this.chunk = chunk;
  }

  /** Opens the decoder of {@code stream}, this chunk's track of this kind. */
  void open(AVStream stream) throws DecodeException {
    this.stream = stream;
    AVCodecParameters par = stream.codecpar();
    AVCodec decoder = avcodec_find_decoder(par.codec_id());
    String codecName = avcodec_get_name(par.codec_id()).getString();
    if (decoder == null || decoder.isNull()) {
      throw new DecodeException(DecodeFailure.CODEC_NOT_ALLOWED, "no decoder for " + kind + " codec " + codecName);
    }
    String decoderName = decoder.name().getString();
    if (!CodecAllowList.allows(decoderName)) {
      throw new DecodeException(
          DecodeFailure.CODEC_NOT_ALLOWED, kind + " decoder '" + decoderName + "' is not on the allow-list");
    }
    AVCodecContext ctx = avcodec_alloc_context3(decoder);
    if (ctx == null || ctx.isNull()) {
      throw new OutOfMemoryError("avcodec_alloc_context3");
    }
    // Assign before anything can fail so that endChunk() frees it.
    codec = ctx;
    int ret = avcodec_parameters_to_context(ctx, par);
    if (ret < 0) {
      throw new DecodeException(DecodeFailure.CORRUPT, "bad " + kind + " parameters: " + FfmpegErrors.describe(ret));
    }
    ctx.pkt_timebase(stream.time_base());
    ctx.thread_count(limits.decoderThreads());
    ctx.max_pixels((long) limits.maxWidth() * limits.maxHeight());
    AVDictionary options = new AVDictionary(null);
    av_dict_set(options, "codec_whitelist", CodecAllowList.DECODERS, 0);
    ret = avcodec_open2(ctx, decoder, options);
    av_dict_free(options);
    if (ret < 0) {
      throw new DecodeException(
          DecodeFailure.CORRUPT, "cannot open the " + decoderName + " decoder: " + FfmpegErrors.describe(ret));
    }
  }

  /** Whether packets of stream {@code index} belong to this track. */
  boolean reads(int index) {
    return stream != null && index == stream.index();
  }

  void decode(AVPacket packet) throws DecodeException {
    send(packet);
    drain();
  }

  /**
   * Whether the decoder may skip the next packets' frames if no other frame references them
   * ({@code skip_frame = AVDISCARD_NONREF}); read by the decoder per packet, so it can change
   * between packets. Reference frames decode as always, so every other frame stays bit-identical.
   */
  void skipNonReferenceFrames(boolean skip) {
    codec.skip_frame(skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT);
  }

  /** Drains the decoder once the chunk has no more packets. */
  void flush() throws DecodeException {
    if (codec != null) {
      send(null);
      drain();
    }
  }

  /** Handles {@link #frame}, a decoded frame of this chunk within its deadline. */
  abstract void onFrame() throws DecodeException;

  /** Frees this chunk's codec context. */
  void endChunk() {
    if (codec != null) {
      avcodec_free_context(codec);
      codec = null;
    }
    stream = null;
    chunk = null;
  }

  private void send(AVPacket packet) throws DecodeException {
    int ret = avcodec_send_packet(codec, packet);
    if (ret < 0 && ret != AVERROR_EOF) {
      throw new DecodeException(DecodeFailure.CORRUPT, kind + " decoding failed: " + FfmpegErrors.describe(ret));
    }
  }

  private void drain() throws DecodeException {
    while (receive()) {
      try {
        chunk.checkDeadline();
        onFrame();
      } finally {
        av_frame_unref(frame);
      }
    }
  }

  /** Returns false when the decoder has no frame ready. */
  private boolean receive() throws DecodeException {
    int ret = avcodec_receive_frame(codec, frame);
    if (ret == AVERROR_EAGAIN() || ret == AVERROR_EOF) {
      return false;
    }
    if (ret < 0) {
      throw new DecodeException(DecodeFailure.CORRUPT, kind + " decoding failed: " + FfmpegErrors.describe(ret));
    }
    if (frame.decode_error_flags() != 0) {
      av_frame_unref(frame);
      throw new DecodeException(
          DecodeFailure.CORRUPT, kind + " frame decoded with errors (flags " + frame.decode_error_flags() + ")");
    }
    return true;
  }

  @Override
  public void close() {
    av_frame_free(frame);
  }
}
