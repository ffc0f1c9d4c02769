package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;
import dev.pestream.media.CodecAllowList;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_out_samples;
import static org.bytedeco.ffmpeg.global.swresample.swr_next_pts;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.util.Arrays;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes one untrusted media chunk (container bytes) into model-ready audio and video, with
 * FFmpeg doing all signal work: the resampler ({@code swresample}) turns audio into mono 48 kHz
 * float, the scaler ({@code swscale}, bilinear) turns kept frames into {@code S x S} RGB.
 *
 * <p>Safety: the bytes are demuxed through {@link SandboxedInput} (demuxer allow-list, no nested
 * opens, no protocols, deadline); decoders must be on the codec allow-list; {@link DecodeLimits}
 * bound payload size, decoded duration, frame count, resolution and wall time; damaged data fails
 * the chunk instead of being concealed. Every failure is a {@link DecodeException}.
 *
 * <p>Clock: FFmpeg timestamps are mapped to the stream clock as {@code startUs + (pts -
 * start_time)}, where {@code start_time} is the container's earliest timestamp; the ingest
 * command writes chunks whose start is that earliest timestamp on the stream clock.
 *
 * <p>Optionally ({@link CaptionFramePolicy}) a second video output: caption frames, one per
 * interval slot, resized bicubic and JPEG-encoded by {@link CaptionFrameSampler}, from the same
 * decoded pictures (the untrusted bytes are demuxed and decoded once, under the same guards).
 *
 * <p>Not thread-safe: one instance per thread (one per Flink subtask). Native buffers and scratch
 * arrays are reused across chunks; {@link #close()} frees them.
 */
public final class ChunkDecoder implements AutoCloseable {
  /** Scratch arrays larger than this (bytes) are released after a chunk instead of kept for the next. */
  private static final int MAX_RETAINED_SCRATCH_BYTES = 64 << 20;

  private final DecodeLimits limits;
  private final FramePolicy policy;
  private final VideoPreprocessing preprocessing;
  private final SandboxedInput.DemuxerPolicy demuxers;
  private final float[][] lut;
  private final int imageSize;

  private final AVPacket packet;
  private final AVFrame frame;
  private final AVFrame rgb;
  private SwsContext sws;
  private final MonoResampler resampler = new MonoResampler();
  private CaptionFrameSampler captions;
  private BytePointer input;
  private long inputCapacity;
  private FloatPointer audioOut;
  private PointerPointer<FloatPointer> audioOutPlanes;
  private int audioOutCapacity;

  private float[] audioScratch = new float[AudioClock.SAMPLE_RATE * 2];
  /** Kept frames as packed RGB24, normalised into the result's float array in one pass at the end. */
  private byte[] rgbScratch = new byte[0];
  private long[] ptsScratch = new long[64];
  private long[] indexScratch = new long[64];
  private boolean closed;

  public ChunkDecoder(DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing) {
    this(limits, policy, preprocessing, SandboxedInput.DemuxerPolicy.DEFAULT);
  }

  /**
   * With caption frames as a second video output ({@link DecodedChunk#captionPtsUs}, {@link
   * DecodedChunk#captionJpegs}); {@code captions} null = none.
   */
  public ChunkDecoder(
      DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, CaptionFramePolicy captions) {
    this(limits, policy, preprocessing, SandboxedInput.DemuxerPolicy.DEFAULT);
    this.captions = captions == null ? null : new CaptionFrameSampler(captions);
  }

  /** With other demuxer rules (tests widen them to prove the other guards hold on their own). */
  ChunkDecoder(
      DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, SandboxedInput.DemuxerPolicy demuxers) {
    this.limits = limits;
    this.policy = policy;
    this.preprocessing = preprocessing;
    this.demuxers = demuxers;
    this.lut = preprocessing.lookupTable();
    this.imageSize = preprocessing.imageSize();
    this.packet = av_packet_alloc();
    this.frame = av_frame_alloc();
    this.rgb = av_frame_alloc();
    rgb.width(imageSize).height(imageSize).format(AV_PIX_FMT_RGB24);
    if (av_frame_get_buffer(rgb, 0) < 0) {
      throw new OutOfMemoryError("RGB frame buffer");
    }
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
    try (SandboxedInput in = SandboxedInput.open(input, payload.length, deadline, demuxers, containerHint);
        Run run = new Run(in, startUs, declaredDurationUs)) {
      return run.decode();
    } finally {
      releaseLargeScratch();
    }
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

  private void releaseLargeScratch() {
    if (rgbScratch.length > MAX_RETAINED_SCRATCH_BYTES) {
      rgbScratch = new byte[0];
    }
    if (4L * audioScratch.length > MAX_RETAINED_SCRATCH_BYTES) {
      audioScratch = new float[AudioClock.SAMPLE_RATE * 2];
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    av_packet_free(packet);
    av_frame_free(frame);
    av_frame_free(rgb);
    resampler.close();
    if (sws != null) {
      sws_freeContext(sws);
    }
    if (captions != null) {
      captions.close();
    }
    if (input != null) {
      av_free(input);
      input = null;
    }
    if (audioOut != null) {
      av_free(audioOut);
      audioOutPlanes.close();
      audioOut = null;
    }
  }

  /** The state of decoding one chunk; closes its codec contexts and resampler. */
  private final class Run implements AutoCloseable {
    private final SandboxedInput in;
    private final AVFormatContext oc;
    private final long startUs;
    private final long originUs;
    private final long declaredDurationUs;

    private AVStream videoStream;
    private AVCodecContext videoCodec;
    private FrameRate frameRate = FrameRate.UNKNOWN;
    private int decodedFrames;
    private int keptFrames;
    private long lastVideoUs = Long.MIN_VALUE;

    private AVStream audioStream;
    private AVCodecContext audioCodec;
    private SwrContext swr; // the decoder's resampler, once this chunk's audio has started
    private int swrInRate;
    private long firstAudioUs = Long.MIN_VALUE;
    private long audioStartSample;
    private int audioSamples;

    Run(SandboxedInput in, long startUs, long declaredDurationUs) {
      this.in = in;
      this.oc = in.context();
      this.startUs = startUs;
      this.declaredDurationUs = declaredDurationUs;
      long start = oc.start_time();
      this.originUs = start == AV_NOPTS_VALUE ? 0 : start;
    }

    DecodedChunk decode() throws DecodeException {
      openStreams();
      if (captions != null) {
        captions.startChunk();
      }
      while (true) {
        checkDeadline();
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
          if (videoStream != null && index == videoStream.index()) {
            send(videoCodec, packet, "video");
            receiveVideo();
          } else if (audioStream != null && index == audioStream.index()) {
            send(audioCodec, packet, "audio");
            receiveAudio();
          }
        } finally {
          av_packet_unref(packet);
        }
      }
      if (videoCodec != null) {
        send(videoCodec, null, "video");
        receiveVideo();
      }
      if (audioCodec != null) {
        send(audioCodec, null, "audio");
        receiveAudio();
        flushResampler();
      }
      DecodedChunk out = result();
      checkComplete(out.durationUs);
      return out;
    }

    private void checkComplete(long decodedUs) throws DecodeException {
      if (declaredDurationUs > 0 && decodedUs + truncationToleranceUs(declaredDurationUs) < declaredDurationUs) {
        throw new DecodeException(
            DecodeFailure.CORRUPT,
            "truncated: the chunk declares " + declaredDurationUs / 1000 + " ms of media, only " + decodedUs / 1000
                + " ms decoded");
      }
    }

    private void openStreams() throws DecodeException {
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
          oc.streams(i).discard(org.bytedeco.ffmpeg.global.avcodec.AVDISCARD_ALL);
        }
      }
      if (v >= 0) {
        videoStream = oc.streams(v);
        AVCodecParameters par = videoStream.codecpar();
        checkResolution(par.width(), par.height());
        videoCodec = openDecoder(videoStream, "video");
        try (AVRational guess = av_guess_frame_rate(oc, videoStream, null)) {
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
      if (a >= 0) {
        audioStream = oc.streams(a);
        audioCodec = openDecoder(audioStream, "audio");
      }
    }

    private AVCodecContext openDecoder(AVStream stream, String kind) throws DecodeException {
      AVCodecParameters par = stream.codecpar();
      AVCodec codec = avcodec_find_decoder(par.codec_id());
      String codecName = avcodec_get_name(par.codec_id()).getString();
      if (codec == null || codec.isNull()) {
        throw new DecodeException(DecodeFailure.CODEC_NOT_ALLOWED, "no decoder for " + kind + " codec " + codecName);
      }
      String decoderName = codec.name().getString();
      if (!CodecAllowList.allows(decoderName)) {
        throw new DecodeException(
            DecodeFailure.CODEC_NOT_ALLOWED, kind + " decoder '" + decoderName + "' is not on the allow-list");
      }
      AVCodecContext ctx = avcodec_alloc_context3(codec);
      if (ctx == null || ctx.isNull()) {
        throw new OutOfMemoryError("avcodec_alloc_context3");
      }
      // Assign before anything can fail so that close() frees it.
      if (stream == videoStream) {
        videoCodec = ctx;
      } else {
        audioCodec = ctx;
      }
      int ret = avcodec_parameters_to_context(ctx, par);
      if (ret < 0) {
        throw new DecodeException(DecodeFailure.CORRUPT, "bad " + kind + " parameters: " + FfmpegErrors.describe(ret));
      }
      ctx.pkt_timebase(stream.time_base());
      ctx.thread_count(limits.decoderThreads());
      ctx.max_pixels((long) limits.maxWidth() * limits.maxHeight());
      AVDictionary options = new AVDictionary(null);
      av_dict_set(options, "codec_whitelist", CodecAllowList.DECODERS, 0);
      ret = avcodec_open2(ctx, codec, options);
      av_dict_free(options);
      if (ret < 0) {
        throw new DecodeException(
            DecodeFailure.CORRUPT, "cannot open the " + decoderName + " decoder: " + FfmpegErrors.describe(ret));
      }
      return ctx;
    }

    private void send(AVCodecContext codec, AVPacket pkt, String kind) throws DecodeException {
      int ret = avcodec_send_packet(codec, pkt);
      if (ret < 0 && ret != AVERROR_EOF) {
        throw new DecodeException(DecodeFailure.CORRUPT, kind + " decoding failed: " + FfmpegErrors.describe(ret));
      }
    }

    /** Returns false when the decoder has no frame ready. */
    private boolean receive(AVCodecContext codec, String kind) throws DecodeException {
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

    private void receiveVideo() throws DecodeException {
      while (receive(videoCodec, "video")) {
        try {
          checkDeadline();
          if (++decodedFrames > limits.maxVideoFrames()) {
            throw new DecodeException(
                DecodeFailure.FRAME_LIMIT, "more than " + limits.maxVideoFrames() + " video frames in one chunk");
          }
          checkResolution(frame.width(), frame.height());
          long ts = frame.best_effort_timestamp();
          long us;
          if (ts == AV_NOPTS_VALUE) {
            us = lastVideoUs == Long.MIN_VALUE ? startUs : lastVideoUs + frameDurationUs();
          } else {
            us = toStreamUs(ts, videoStream.time_base());
          }
          lastVideoUs = us;
          checkDuration(us, "video");
          long gridIndex = frameRate.isKnown() ? frameRate.gridIndexOf(us) : decodedFrames - 1;
          if (captions != null) {
            captions.offer(frame, us);
          }
          if (policy.keeps(gridIndex, frameRate)) {
            keepFrame(us, gridIndex);
          }
        } finally {
          av_frame_unref(frame);
        }
      }
    }

    private long frameDurationUs() {
      return frameRate.isKnown() ? Math.max(1, 1_000_000L * frameRate.den() / frameRate.num()) : 0;
    }

    private void keepFrame(long us, long gridIndex) throws DecodeException {
      // The classic swscale entry points: bit-identical to the ffmpeg program's scale filter
      // (the frame API of FFmpeg 8 rounds differently). The context is rebuilt only when the
      // input size or format changes.
      sws = sws_getCachedContext(
          sws, frame.width(), frame.height(), frame.format(), imageSize, imageSize, AV_PIX_FMT_RGB24,
          SWS_BILINEAR, null, null, (DoublePointer) null);
      if (sws == null || sws.isNull()) {
        throw new DecodeException(DecodeFailure.CORRUPT, "cannot scale pixel format " + frame.format());
      }
      int ret = sws_scale(sws, frame.data(), frame.linesize(), 0, frame.height(), rgb.data(), rgb.linesize());
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
      if (stride == row) {
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

    private void receiveAudio() throws DecodeException {
      while (receive(audioCodec, "audio")) {
        try {
          checkDeadline();
          resample();
        } finally {
          av_frame_unref(frame);
        }
      }
    }

    private void resample() throws DecodeException {
      if (frame.nb_samples() <= 0) {
        return;
      }
      long ts = frame.best_effort_timestamp();
      long us = ts == AV_NOPTS_VALUE ? Long.MIN_VALUE : toStreamUs(ts, audioStream.time_base());
      if (swr == null) {
        resampler.start(frame);
        swr = resampler.context();
        swrInRate = resampler.inputRate();
        firstAudioUs = us == Long.MIN_VALUE ? startUs : us;
        audioStartSample = AudioClock.sampleIndexOf(firstAudioUs);
      } else if (!resampler.matches(frame)) {
        throw new DecodeException(DecodeFailure.CORRUPT, "the audio format changes inside the chunk");
      }
      if (us != Long.MIN_VALUE) {
        checkDuration(us, "audio");
        // Timestamps in 1/(in_rate * out_rate) s: the resampler pads or trims when the audio
        // drifts from them by more than 1 ms (a lost packet), keeping samples on the clock.
        long relUs = us - firstAudioUs;
        swr_next_pts(swr, av_rescale(relUs, (long) swrInRate * AudioClock.SAMPLE_RATE, 1_000_000L));
      }
      int capacity = swr_get_out_samples(swr, frame.nb_samples());
      convert(frame.extended_data(), frame.nb_samples(), capacity);
    }

    private void flushResampler() throws DecodeException {
      if (swr == null) {
        return;
      }
      int n;
      do {
        n = convert(null, 0, Math.max(swr_get_out_samples(swr, 0), 1024));
      } while (n > 0);
    }

    /** Runs the resampler and appends its output; returns the number of samples produced. */
    private int convert(PointerPointer<?> inPlanes, int inSamples, int capacity) throws DecodeException {
      ensureAudioOut(capacity);
      int n = swr_convert(swr, audioOutPlanes, capacity, inPlanes, inSamples);
      if (n < 0) {
        throw new DecodeException(DecodeFailure.CORRUPT, "resampling failed: " + FfmpegErrors.describe(n));
      }
      if ((long) audioSamples + n > limits.maxAudioSamples()) {
        throw new DecodeException(
            DecodeFailure.DURATION_LIMIT, "audio longer than " + limits.maxDurationUs() / 1000 + " ms in one chunk");
      }
      if (audioScratch.length < audioSamples + n) {
        audioScratch = Arrays.copyOf(audioScratch, Math.max(audioSamples + n, audioScratch.length * 2));
      }
      audioOut.position(0).get(audioScratch, audioSamples, n);
      audioSamples += n;
      return n;
    }

    private void ensureAudioOut(int samples) {
      if (audioOutCapacity < samples) {
        if (audioOut != null) {
          av_free(audioOut);
          audioOutPlanes.close();
        }
        int capacity = Math.max(samples, 8192);
        audioOut = new FloatPointer(av_malloc(4L * capacity)).capacity(capacity);
        audioOutPlanes = new PointerPointer<FloatPointer>(1).put(0, audioOut);
        audioOutCapacity = capacity;
      }
    }

    private long toStreamUs(long ts, AVRational timeBase) {
      return startUs + av_rescale(ts, 1_000_000L * timeBase.num(), timeBase.den()) - originUs;
    }

    private void checkDuration(long us, String kind) throws DecodeException {
      long rel = us - startUs;
      if (rel > limits.maxDurationUs() || rel < -limits.maxDurationUs()) {
        throw new DecodeException(
            DecodeFailure.DURATION_LIMIT,
            kind + " at " + rel / 1000 + " ms from the chunk start is beyond the " + limits.maxDurationUs() / 1000
                + " ms limit");
      }
    }

    private void checkResolution(int width, int height) throws DecodeException {
      if (width > limits.maxWidth() || height > limits.maxHeight()) {
        throw new DecodeException(
            DecodeFailure.RESOLUTION_LIMIT,
            "picture of " + width + "x" + height + " exceeds the limit of " + limits.maxWidth() + "x" + limits.maxHeight());
      }
    }

    private void checkDeadline() throws DecodeException {
      if (in.pastDeadline()) {
        throw new DecodeException(
            DecodeFailure.TIMEOUT, "decoding exceeded its time budget of " + limits.maxDecodeMillis() + " ms");
      }
    }

    private DecodedChunk result() {
      DecodedChunk out = new DecodedChunk();
      out.startUs = startUs;
      out.imageSize = imageSize;
      out.frameRateNum = frameRate.num();
      out.frameRateDen = frameRate.den();
      out.audioStartSample = audioSamples > 0 ? audioStartSample : AudioClock.sampleIndexOf(startUs);
      out.audio = Arrays.copyOf(audioScratch, audioSamples);
      out.framePtsUs = Arrays.copyOf(ptsScratch, keptFrames);
      out.frameIndex = Arrays.copyOf(indexScratch, keptFrames);
      out.pixels = normalisedPixels();
      if (captions != null) {
        out.captionPtsUs = captions.takePts();
        out.captionJpegs = captions.takeJpegs();
      }
      long end = startUs;
      if (audioSamples > 0) {
        end = Math.max(end, AudioClock.timeUsOf(audioStartSample + audioSamples));
      }
      if (lastVideoUs != Long.MIN_VALUE) {
        end = Math.max(end, lastVideoUs + frameDurationUs());
      }
      out.durationUs = end - startUs;
      return out;
    }

    @Override
    public void close() {
      if (videoCodec != null) {
        avcodec_free_context(videoCodec);
      }
      if (audioCodec != null) {
        avcodec_free_context(audioCodec);
      }

    }
  }
}
