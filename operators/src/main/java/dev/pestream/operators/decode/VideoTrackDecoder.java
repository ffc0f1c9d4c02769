package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;

import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INP;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INT;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.util.Arrays;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;

/**
 * The video path of {@link ChunkDecoder}: places each decoded picture on the stream clock, keeps
 * those the {@link FramePolicy} selects (on the frame-rate grid when the rate is known), scales
 * them with {@code swscale} to {@code S x S} RGB as the reference processor does (RGB at the
 * native size first, then a bilinear resize of the RGB picture, which swscale antialiases on
 * downscale; docs/preprocessing.md), and at the end normalises them into planes ({@link
 * VideoPreprocessing}). With a {@link CaptionFramePolicy} every picture is also
 * offered to a {@link CaptionFrameSampler}, so caption frames come from the same decoding.
 */
final class VideoTrackDecoder extends TrackDecoder {
  private final FramePolicy policy;
  private final float[][] lut;
  private final int imageSize;
  /** Scaler flags of the RGB resize: without the full-chroma flags swscale carries RGB through 4:2:2 YUV. */
  static final int RESIZE_FLAGS = SWS_BILINEAR | SWS_FULL_CHR_H_INP | SWS_FULL_CHR_H_INT;

  private final AVFrame rgb;
  /** The kept picture as RGB24 at its native size (reallocated when the size changes). */
  private final AVFrame nativeRgb;
  private SwsContext toRgb;
  private SwsContext resize;
  private final CaptionFrameSampler captions; // null = no caption frames

  /** Kept frames as packed RGB24, normalised into the result's float array in one pass at the end. */
  private byte[] rgbScratch = new byte[0];
  private long[] ptsScratch = new long[64];
  private long[] indexScratch = new long[64];

  private FrameRate frameRate;
  private DisplayOrientation orientation = DisplayOrientation.UPRIGHT;
  private int decodedFrames;
  private int keptFrames;
  private long lastUs;
  /** Whether frames the policy drops may go undecoded (not with native, nor with caption frames to sample). */
  private final boolean skipsDroppedFrames;
  /** The latest packet sent with non-reference skipping on: its frame may never come out of the decoder. */
  private long lastSkippableUs;

  VideoTrackDecoder(
      DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, CaptionFramePolicy captions) {
    super("video", limits);
    this.policy = policy;
    this.lut = preprocessing.lookupTable();
    this.imageSize = preprocessing.imageSize();
    this.rgb = av_frame_alloc();
    rgb.width(imageSize).height(imageSize).format(AV_PIX_FMT_RGB24);
    if (av_frame_get_buffer(rgb, 0) < 0) {
      throw new OutOfMemoryError("RGB frame buffer");
    }
    this.nativeRgb = av_frame_alloc();
    this.captions = captions == null ? null : new CaptionFrameSampler(captions);
    this.skipsDroppedFrames = !(policy instanceof FramePolicy.Native) && captions == null;
  }

  @Override
  void startChunk(ChunkContext chunk) {
    super.startChunk(chunk);
    frameRate = FrameRate.UNKNOWN;
    decodedFrames = 0;
    keptFrames = 0;
    lastUs = Long.MIN_VALUE;
    lastSkippableUs = Long.MIN_VALUE;
    if (captions != null) {
      captions.startChunk();
    }
  }

  /** Also checks the declared picture size and finds the frame rate the policy may need. */
  @Override
  void open(AVStream stream) throws DecodeException {
    AVCodecParameters par = stream.codecpar();
    checkResolution(par.width(), par.height());
    super.open(stream);
    orientation = DisplayOrientation.of(par);
    if (captions != null) {
      captions.orient(orientation);
    }
    try (AVRational guess = av_guess_frame_rate(chunk.demuxer(), stream, null)) {
      if (guess.num() > 0 && guess.den() > 0) {
        frameRate = new FrameRate(guess.num(), guess.den());
      }
    }
    if (policy.needsFrameRate() && !frameRate.isKnown()) {
      throw new DecodeException(
          DecodeFailure.UNKNOWN_FRAME_RATE,
          "frame policy " + policy.spec() + " needs the video frame rate, which FFmpeg cannot determine");
    }
  }

  /**
   * Decode only what the policy keeps: a packet whose frame the policy drops (placed by its
   * timestamp on the frame grid) is sent with non-reference skipping on, so a frame nothing refers
   * to (B-frames in most H.264 / HEVC streams) is not decoded at all; reference frames are.
   */
  @Override
  void decode(AVPacket packet) throws DecodeException {
    boolean skippable = false;
    if (skipsDroppedFrames && frameRate.isKnown() && packet.pts() != AV_NOPTS_VALUE) {
      long us = chunk.toStreamUs(packet.pts(), stream.time_base());
      skippable = !policy.keeps(frameRate.gridIndexOf(us), frameRate);
      if (skippable) {
        lastSkippableUs = Math.max(lastSkippableUs, us);
      }
    }
    skipNonReferenceFrames(skippable);
    super.decode(packet);
  }

  @Override
  void onFrame() throws DecodeException {
    if (++decodedFrames > limits.maxVideoFrames()) {
      throw new DecodeException(
          DecodeFailure.FRAME_LIMIT, "more than " + limits.maxVideoFrames() + " video frames in one chunk");
    }
    checkResolution(frame.width(), frame.height());
    long ts = frame.best_effort_timestamp();
    long us;
    if (ts == AV_NOPTS_VALUE) {
      us = lastUs == Long.MIN_VALUE ? chunk.startUs : lastUs + frameDurationUs();
    } else {
      us = chunk.toStreamUs(ts, stream.time_base());
    }
    lastUs = us;
    chunk.checkDuration(us, "video");
    long gridIndex = frameRate.isKnown() ? frameRate.gridIndexOf(us) : decodedFrames - 1;
    if (captions != null) {
      captions.offer(frame, us);
    }
    if (policy.keeps(gridIndex, frameRate)) {
      keepFrame(us, gridIndex);
    }
  }

  private long frameDurationUs() {
    return frameRate.isKnown() ? Math.max(1, 1_000_000L * frameRate.den() / frameRate.num()) : 0;
  }

  private void checkResolution(int width, int height) throws DecodeException {
    if (width > limits.maxWidth() || height > limits.maxHeight()) {
      throw new DecodeException(
          DecodeFailure.RESOLUTION_LIMIT,
          "picture of " + width + "x" + height + " exceeds the limit of " + limits.maxWidth() + "x" + limits.maxHeight());
    }
  }

  private void keepFrame(long us, long gridIndex) throws DecodeException {
    // Two steps, as transformers' processors see video: the decoder's picture becomes RGB at its
    // own size (chroma upsampled), then the RGB picture is resized. Resizing the YUV planes
    // straight to S x S (one swscale call) scales the subsampled chroma on its own and differed
    // from the processor by 3-13 levels on average (docs/preprocessing.md). The classic swscale
    // entry points: bit-identical to the ffmpeg program's scale filter. Contexts are rebuilt only
    // when the input size or format changes.
    int width = frame.width();
    int height = frame.height();
    if (nativeRgb.width() != width || nativeRgb.height() != height) {
      av_frame_unref(nativeRgb);
      nativeRgb.width(width).height(height).format(AV_PIX_FMT_RGB24);
      if (av_frame_get_buffer(nativeRgb, 0) < 0) {
        throw new OutOfMemoryError("RGB frame buffer");
      }
    }
    toRgb = sws_getCachedContext(
        toRgb, width, height, frame.format(), width, height, AV_PIX_FMT_RGB24,
        SWS_BILINEAR, null, null, (DoublePointer) null);
    resize = sws_getCachedContext(
        resize, width, height, AV_PIX_FMT_RGB24, imageSize, imageSize, AV_PIX_FMT_RGB24,
        RESIZE_FLAGS, null, null, (DoublePointer) null);
    if (toRgb == null || toRgb.isNull() || resize == null || resize.isNull()) {
      throw new DecodeException(DecodeFailure.CORRUPT, "cannot scale pixel format " + frame.format());
    }
    int ret = sws_scale(toRgb, frame.data(), frame.linesize(), 0, height, nativeRgb.data(), nativeRgb.linesize());
    if (ret >= 0) {
      ret = sws_scale(resize, nativeRgb.data(), nativeRgb.linesize(), 0, height, rgb.data(), rgb.linesize());
    }
    if (ret < 0) {
      throw new DecodeException(DecodeFailure.CORRUPT, "cannot scale a video frame: " + FfmpegErrors.describe(ret));
    }
    int row = 3 * imageSize;
    int frameBytes = row * imageSize;
    int offset = keptFrames * frameBytes;
    if (rgbScratch.length < offset + frameBytes) {
      rgbScratch = Arrays.copyOf(rgbScratch, Math.max(offset + frameBytes, rgbScratch.length * 2));
    }
    if (ptsScratch.length <= keptFrames) {
      ptsScratch = Arrays.copyOf(ptsScratch, ptsScratch.length * 2);
      indexScratch = Arrays.copyOf(indexScratch, indexScratch.length * 2);
    }
    int stride = rgb.linesize(0);
    BytePointer pixels = rgb.data(0);
    if (orientation != DisplayOrientation.UPRIGHT) {
      turnForDisplay(pixels, stride, offset);
    } else if (stride == row) {
      pixels.position(0).get(rgbScratch, offset, frameBytes);
    } else {
      for (int y = 0; y < imageSize; y++) {
        pixels.position((long) y * stride).get(rgbScratch, offset + y * row, row);
      }
    }
    ptsScratch[keptFrames] = us;
    indexScratch[keptFrames] = gridIndex;
    keptFrames++;
  }

  /** Copies the scaled picture into the scratch at {@code offset}, turned as the display matrix says. */
  private void turnForDisplay(BytePointer pixels, int stride, int offset) {
    int s = imageSize;
    byte[] upright = new byte[3 * s * s];
    for (int y = 0; y < s; y++) {
      pixels.position((long) y * stride).get(upright, y * 3 * s, 3 * s);
    }
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        int from = 3 * orientation.sourceIndex(x, y, s);
        int to = offset + 3 * (y * s + x);
        rgbScratch[to] = upright[from];
        rgbScratch[to + 1] = upright[from + 1];
        rgbScratch[to + 2] = upright[from + 2];
      }
    }
  }

  /** Packed RGB24 of the kept frames to normalised planes, channels first. */
  private float[] normalisedPixels() {
    int plane = imageSize * imageSize;
    float[] out = new float[keptFrames * 3 * plane];
    float[] r = lut[0];
    float[] g = lut[1];
    float[] b = lut[2];
    byte[] rgbBytes = rgbScratch;
    for (int f = 0; f < keptFrames; f++) {
      int src = f * 3 * plane;
      int base = f * 3 * plane;
      for (int i = 0; i < plane; i++, src += 3) {
        out[base + i] = r[rgbBytes[src] & 0xff];
        out[base + plane + i] = g[rgbBytes[src + 1] & 0xff];
        out[base + 2 * plane + i] = b[rgbBytes[src + 2] & 0xff];
      }
    }
    return out;
  }

  /** Puts this chunk's video (kept frames, frame rate, caption frames) into {@code out}. */
  void fill(DecodedChunk out) {
    out.imageSize = imageSize;
    out.frameRateNum = frameRate.num();
    out.frameRateDen = frameRate.den();
    out.framePtsUs = Arrays.copyOf(ptsScratch, keptFrames);
    out.frameIndex = Arrays.copyOf(indexScratch, keptFrames);
    out.pixels = normalisedPixels();
    if (captions != null) {
      out.captionPtsUs = captions.takePts();
      out.captionJpegs = captions.takeJpegs();
    }
  }

  /** Pictures the decoder produced for the last chunk (those it skipped as dropped and unreferenced not counted). */
  int decodedFrames() {
    return decodedFrames;
  }

  /**
   * Where this chunk's video ends on the stream clock (the last picture plus one frame), or
   * {@code Long.MIN_VALUE} when no picture was decoded.
   */
  long endUs() {
    long last = Math.max(lastUs, lastSkippableUs); // a skipped last frame still covers its time
    return last == Long.MIN_VALUE ? Long.MIN_VALUE : last + frameDurationUs();
  }

  @Override
  void endChunk() {
    super.endChunk();
    if (rgbScratch.length > MAX_RETAINED_SCRATCH_BYTES) {
      rgbScratch = new byte[0];
    }
  }

  @Override
  public void close() {
    super.close();
    av_frame_free(rgb);
    av_frame_free(nativeRgb);
    if (toRgb != null) {
      sws_freeContext(toRgb);
    }
    if (resize != null) {
      sws_freeContext(resize);
    }
    if (captions != null) {
      captions.close();
    }
  }
}
