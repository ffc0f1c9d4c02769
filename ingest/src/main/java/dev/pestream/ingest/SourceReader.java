package dev.pestream.ingest;

import dev.pestream.media.InputStreamAvio;
import dev.pestream.media.OpaqueRegistry;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;

import dev.pestream.media.FfmpegErrors;
import java.io.InputStream;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One connection to a media source (file, URL or stdin) through FFmpeg: picks the best video and
 * audio stream and reads their packets. The source is the operator's own choice, so FFmpeg may
 * use any protocol here; every blocking call is bounded by the I/O timeout (FFmpeg's {@code
 * rw_timeout}/{@code timeout} options plus an interrupt callback that also honours a stop
 * request).
 */
final class SourceReader implements AutoCloseable {
  /** The source name that means standard input. */
  static final String STDIN = "-";

  private static final OpaqueRegistry<SourceReader> LIVE = new OpaqueRegistry<>();

  private static final AVIOInterruptCB.Callback_Pointer INTERRUPT =
      new AVIOInterruptCB.Callback_Pointer() {
        @Override
        public int call(Pointer opaque) {
          SourceReader reader = LIVE.lookup(opaque);
          return reader == null || reader.shouldInterrupt() ? 1 : 0;
        }
      };

  private final String source;
  private final long ioTimeoutNanos;
  private final BooleanSupplier stopRequested;
  private final Pointer token;
  private final AVPacket packet = av_packet_alloc();
  private InputStreamAvio stdin;
  private AVFormatContext context;
  private AVStream video;
  private AVStream audio;
  private long originUs = AV_NOPTS_VALUE;
  private volatile long lastProgressNanos = System.nanoTime();
  private volatile boolean stalled;

  private SourceReader(String source, long ioTimeoutUs, BooleanSupplier stopRequested) {
    this.source = source;
    this.ioTimeoutNanos = ioTimeoutUs * 1000;
    this.stopRequested = stopRequested;
    this.token = LIVE.register(this);
  }

  /** Opens {@code source} ("-" reads {@code stdin}) and reads its stream headers. */
  static SourceReader open(String source, InputStream stdin, long ioTimeoutUs, BooleanSupplier stopRequested)
      throws SourceException {
    SourceReader reader = new SourceReader(source, ioTimeoutUs, stopRequested);
    try {
      reader.openContext(stdin);
      return reader;
    } catch (SourceException | RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /** Whether the source is a network URL (reconnectable), not a file or stdin. */
  static boolean isNetwork(String source) {
    String s = source.toLowerCase(Locale.ROOT);
    return s.matches("^[a-z][a-z0-9+.-]*://.*") && !s.startsWith("file:");
  }

  private void openContext(InputStream stdinStream) throws SourceException {
    AVFormatContext oc = avformat_alloc_context();
    oc.interrupt_callback().callback(INTERRUPT).opaque(token);
    AVDictionary options = new AVDictionary(null);
    String url = source;
    if (STDIN.equals(source)) {
      stdin = new InputStreamAvio(stdinStream);
      oc.pb(stdin.avio());
      url = "pipe:";
    } else if (isNetwork(source)) {
      String timeout = Long.toString(ioTimeoutNanos / 1000);
      av_dict_set(options, "rw_timeout", timeout, 0);
      if (source.toLowerCase(Locale.ROOT).startsWith("rtsp")) {
        av_dict_set(options, "timeout", timeout, 0);
      }
    }
    PointerPointer<AVFormatContext> ref = new PointerPointer<>(1);
    ref.put(0, oc);
    PointerPointer<AVDictionary> optionsRef = new PointerPointer<>(1);
    optionsRef.put(0, options);
    int ret;
    try (BytePointer urlPointer = new BytePointer(url)) {
      ret = avformat_open_input(ref, urlPointer, null, optionsRef);
    }
    av_dict_free(optionsRef);
    ref.close();
    optionsRef.close();
    if (ret < 0) {
      throw new SourceException(
          SourceException.Kind.UNREADABLE, "cannot open " + describe() + ": " + reason(ret));
    }
    context = oc;
    ret = avformat_find_stream_info(context, (PointerPointer<?>) null);
    if (ret < 0) {
      throw new SourceException(
          SourceException.Kind.UNREADABLE, "cannot read the streams of " + describe() + ": " + reason(ret));
    }
    int v = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, (PointerPointer<?>) null, 0);
    if (v >= 0 && (context.streams(v).disposition() & AV_DISPOSITION_ATTACHED_PIC) != 0) {
      v = -1;
    }
    int a = av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, v, (PointerPointer<?>) null, 0);
    if (v < 0 && a < 0) {
      throw new SourceException(SourceException.Kind.UNREADABLE, describe() + " has no audio or video stream");
    }
    for (int i = 0; i < context.nb_streams(); i++) {
      if (i != v && i != a) {
        context.streams(i).discard(org.bytedeco.ffmpeg.global.avcodec.AVDISCARD_ALL);
      }
    }
    video = v >= 0 ? context.streams(v) : null;
    audio = a >= 0 ? context.streams(a) : null;
    if (context.start_time() != AV_NOPTS_VALUE) {
      originUs = context.start_time();
    }
    lastProgressNanos = System.nanoTime();
  }

  AVFormatContext context() {
    return context;
  }

  /** The video stream, or null. */
  AVStream video() {
    return video;
  }

  /** The audio stream, or null. */
  AVStream audio() {
    return audio;
  }

  /**
   * Reads the next packet of the video or audio stream into {@link #packet()}; false at the end
   * of the source or once stop is requested. The previous packet is released.
   */
  boolean next() throws SourceException {
    av_packet_unref(packet);
    while (true) {
      if (stopRequested.getAsBoolean()) {
        return false;
      }
      int ret = av_read_frame(context, packet);
      if (ret == AVERROR_EOF) {
        return false;
      }
      if (ret < 0) {
        if (stopRequested.getAsBoolean()) {
          return false;
        }
        throw new SourceException(
            stalled ? SourceException.Kind.STALLED : SourceException.Kind.FAILED,
            "reading " + describe() + " failed: " + reason(ret));
      }
      lastProgressNanos = System.nanoTime();
      int index = packet.stream_index();
      boolean wanted = (video != null && index == video.index()) || (audio != null && index == audio.index());
      if (wanted && (packet.pts() != AV_NOPTS_VALUE || packet.dts() != AV_NOPTS_VALUE)) {
        if (originUs == AV_NOPTS_VALUE) {
          long ts = packet.pts() != AV_NOPTS_VALUE ? packet.pts() : packet.dts();
          originUs = rescaleUs(ts, context.streams(index).time_base());
        }
        return true;
      }
      av_packet_unref(packet);
    }
  }

  AVPacket packet() {
    return packet;
  }

  /** The stream a packet belongs to. */
  AVStream streamOf(AVPacket p) {
    return context.streams(p.stream_index());
  }

  /** Time {@code ts} (in {@code timeBase}) since the source's first timestamp, in microseconds. */
  long sinceOriginUs(long ts, AVRational timeBase) {
    return rescaleUs(ts, timeBase) - originUs;
  }

  static long rescaleUs(long ts, AVRational timeBase) {
    return av_rescale(ts, 1_000_000L * timeBase.num(), timeBase.den());
  }

  private boolean shouldInterrupt() {
    if (stopRequested.getAsBoolean()) {
      return true;
    }
    if (System.nanoTime() - lastProgressNanos > ioTimeoutNanos) {
      stalled = true;
      return true;
    }
    return false;
  }

  private String reason(int ret) {
    if (stalled) {
      return "no data for " + ioTimeoutNanos / 1_000_000 + " ms";
    }
    if (stdin != null && stdin.failure() != null) {
      return stdin.failure().getMessage();
    }
    return FfmpegErrors.describe(ret);
  }

  /** The source for messages, without credentials. */
  String describe() {
    return STDIN.equals(source) ? "standard input" : redact(source);
  }

  /** {@code scheme://user:password@host/...} without the user info. */
  static String redact(String source) {
    return source.replaceFirst("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", "$1");
  }

  @Override
  public void close() {
    if (context != null) {
      avformat_close_input(context);
      context = null;
    }
    if (stdin != null) {
      stdin.close();
      stdin = null;
    }
    av_packet_free(packet);
    LIVE.release(token);
  }
}
