package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;
import dev.pestream.media.CodecAllowList;
import dev.pestream.media.OpaqueRegistry;

import static org.bytedeco.ffmpeg.global.avformat.AVSEEK_FORCE;
import static org.bytedeco.ffmpeg.global.avformat.AVSEEK_SIZE;
import static org.bytedeco.ffmpeg.global.avformat.av_find_input_format;
import static org.bytedeco.ffmpeg.global.avformat.av_probe_input_buffer2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avformat.avio_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avio_context_free;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EINVAL;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EPERM;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EXIT;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVFormatContext.Io_open_AVFormatContext_PointerPointer_BytePointer_int_PointerPointer;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * An FFmpeg demuxer over chunk bytes in native memory, locked down for untrusted input:
 *
 * <ul>
 *   <li>the bytes come through our own read/seek callbacks (seekable, so moov-at-end mp4 works);
 *   <li>the probed demuxer must be on the allow-list (no playlists, concat scripts, image
 *       sequences...), and {@code format_whitelist} repeats the list inside FFmpeg;
 *   <li>every attempt of a demuxer to open another resource ({@code io_open}) is refused and
 *       remembered, and {@code protocol_whitelist} names no protocol at all;
 *   <li>an interrupt callback and the read callback stop FFmpeg once the deadline has passed.
 * </ul>
 *
 * Callbacks are JavaCPP function pointers: one static instance each, finding their input through
 * the opaque token in {@link #LIVE}.
 */
final class SandboxedInput implements AutoCloseable {
  /** Demuxers allowed to read chunks (FFmpeg names; a demuxer matches if any of its names is listed). */
  static final String DEFAULT_ALLOWED_DEMUXERS = "mov,mp4,mpegts,matroska,webm,wav,flac,ogg,aac,mp3";

  /** A protocol name that does not exist: nested opens match nothing. */
  private static final String NO_PROTOCOL = "pestream-no-protocol";

  /**
   * The name the demuxer sees: no protocol and no extension (probing sees an empty name, so
   * name-based detection, e.g. of HLS playlists, never triggers).
   */
  private static final String CHUNK_NAME = "pestream-chunk";

  private static final int AVIO_BUFFER_BYTES = 32 * 1024;
  private static final int SEEK_SET = 0;
  private static final int SEEK_CUR = 1;
  private static final int SEEK_END = 2;

  private static final OpaqueRegistry<SandboxedInput> LIVE = new OpaqueRegistry<>();

  private static final Read_packet_Pointer_BytePointer_int READ =
      new Read_packet_Pointer_BytePointer_int() {
        @Override
        public int call(Pointer opaque, BytePointer buffer, int size) {
          SandboxedInput in = LIVE.lookup(opaque);
          return in == null ? AVERROR_EXIT : in.read(buffer, size);
        }
      };

  private static final Seek_Pointer_long_int SEEK =
      new Seek_Pointer_long_int() {
        @Override
        public long call(Pointer opaque, long offset, int whence) {
          SandboxedInput in = LIVE.lookup(opaque);
          return in == null ? AVERROR_EXIT : in.seek(offset, whence);
        }
      };

  private static final AVIOInterruptCB.Callback_Pointer INTERRUPT =
      new AVIOInterruptCB.Callback_Pointer() {
        @Override
        public int call(Pointer opaque) {
          SandboxedInput in = LIVE.lookup(opaque);
          return in == null || in.pastDeadline() ? 1 : 0;
        }
      };

  @SuppressWarnings("rawtypes") // the generated callback signature uses raw PointerPointer
  private static final Io_open_AVFormatContext_PointerPointer_BytePointer_int_PointerPointer IO_OPEN =
      new Io_open_AVFormatContext_PointerPointer_BytePointer_int_PointerPointer() {
        @Override
        public int call(AVFormatContext s, PointerPointer pb, BytePointer url, int flags, PointerPointer options) {
          SandboxedInput in = s == null ? null : LIVE.lookup(s.opaque());
          if (in != null && in.refusedUrl == null) {
            in.refusedUrl = url == null ? "(null)" : url.getString();
          }
          return AVERROR_EPERM();
        }
      };

  private final BytePointer data;
  private final long length;
  private final long deadlineNanos;
  private final Pointer token;
  private long position;
  private AVIOContext avio;
  private AVFormatContext context;
  private String refusedUrl;
  private boolean timedOut;

  private SandboxedInput(BytePointer data, long length, long deadlineNanos) {
    this.data = data;
    this.length = length;
    this.deadlineNanos = deadlineNanos;
    this.token = LIVE.register(this);
  }

  /**
   * Opens {@code length} bytes at {@code data} (which must outlive this input) and reads the
   * stream headers.
   */
  static SandboxedInput open(
      BytePointer data, long length, long deadlineNanos, DemuxerPolicy demuxers, String containerHint)
      throws DecodeException {
    SandboxedInput in = new SandboxedInput(data, length, deadlineNanos);
    DecodeException probeFailure;
    try {
      in.openContext(demuxers.allowed(), null);
      return in;
    } catch (DecodeException e) {
      in.close();
      boolean probeMissed =
          e.failure() == DecodeFailure.FORMAT_NOT_ALLOWED || e.failure() == DecodeFailure.UNREADABLE;
      if (!probeMissed || containerHint == null || !demuxers.forceable().contains(containerHint)) {
        throw e;
      }
      probeFailure = e;
    } catch (RuntimeException e) {
      in.close();
      throw e;
    }
    SandboxedInput forced = new SandboxedInput(data, length, deadlineNanos);
    try {
      forced.openContext(demuxers.allowed(), containerHint);
      return forced;
    } catch (DecodeException e) {
      forced.close();
      if (e.failure() == DecodeFailure.EXTERNAL_REFERENCE || e.failure() == DecodeFailure.TIMEOUT) {
        throw e;
      }
      probeFailure.addSuppressed(e);
      throw probeFailure;
    } catch (RuntimeException e) {
      forced.close();
      throw e;
    }
  }

  /**
   * Which demuxers may read chunks, and which of them the record's container hint may force when
   * probing misses (only demuxers that validate structure: raw ADTS/MP3 demuxers accept any
   * bytes, which would turn a mislabelled chunk into noise).
   */
  record DemuxerPolicy(Set<String> allowed, Set<String> forceable) {
    static final DemuxerPolicy DEFAULT =
        new DemuxerPolicy(
            parseDemuxers(DEFAULT_ALLOWED_DEMUXERS),
            parseDemuxers("mpegts,mov,mp4,matroska,webm,ogg,flac,wav"));

    DemuxerPolicy {
      allowed = Set.copyOf(allowed);
      forceable = Set.copyOf(forceable);
      if (!allowed.containsAll(forceable)) {
        throw new IllegalArgumentException("forceable demuxers must be allowed");
      }
    }
  }

  static Set<String> parseDemuxers(String commaSeparated) {
    return new LinkedHashSet<>(Arrays.asList(commaSeparated.split(",")));
  }

  private void openContext(Set<String> allowedDemuxers, String forcedDemuxer) throws DecodeException {
    BytePointer buffer = new BytePointer(av_malloc(AVIO_BUFFER_BYTES));
    avio = avio_alloc_context(buffer, AVIO_BUFFER_BYTES, 0, token, READ, null, SEEK);
    if (avio == null || avio.isNull()) {
      av_free(buffer);
      throw new OutOfMemoryError("avio_alloc_context");
    }

    PointerPointer<AVInputFormat> probed = new PointerPointer<>(1);
    probed.put(0, (Pointer) null); // FFmpeg skips probing when *fmt is already set
    BytePointer noUrl = new BytePointer("");
    try {
      AVInputFormat format;
      if (forcedDemuxer != null) {
        format = av_find_input_format(forcedDemuxer);
        if (format == null || format.isNull()) {
          throw new DecodeException(DecodeFailure.UNREADABLE, "no demuxer named " + forcedDemuxer);
        }
      } else {
        int score = av_probe_input_buffer2(avio, probed, noUrl, null, 0, 0);
        if (score < 0) {
          throw failure(DecodeFailure.UNREADABLE, "no demuxer recognises the bytes: " + FfmpegErrors.describe(score));
        }
        format = probed.get(AVInputFormat.class, 0);
      }
      String name = format.name().getString();
      if (!isAllowed(name, allowedDemuxers)) {
        throw new DecodeException(
            DecodeFailure.FORMAT_NOT_ALLOWED,
            "demuxer '" + name + "' is not allowed for chunks (allowed: " + String.join(",", new java.util.TreeSet<>(allowedDemuxers)) + ")");
      }

      AVFormatContext oc = avformat_alloc_context();
      oc.pb(avio);
      oc.opaque(token);
      oc.io_open(IO_OPEN);
      oc.interrupt_callback().callback(INTERRUPT).opaque(token);
      AVDictionary options = new AVDictionary(null);
      av_dict_set(options, "format_whitelist", String.join(",", new java.util.TreeSet<>(allowedDemuxers)), 0);
      av_dict_set(options, "protocol_whitelist", NO_PROTOCOL, 0);
      av_dict_set(options, "codec_whitelist", CodecAllowList.DECODERS, 0);
      PointerPointer<AVFormatContext> ref = new PointerPointer<>(1);
      ref.put(0, oc);
      PointerPointer<AVDictionary> optionsRef = new PointerPointer<>(1);
      optionsRef.put(0, options);
      int ret;
      try (BytePointer chunkName = new BytePointer(CHUNK_NAME)) {
        ret = avformat_open_input(ref, chunkName, format, optionsRef);
      }
      av_dict_free(optionsRef);
      ref.close();
      optionsRef.close();
      if (ret < 0) {
        // FFmpeg freed the context on failure.
        throw failure(DecodeFailure.UNREADABLE, "cannot open the " + name + " container: " + FfmpegErrors.describe(ret));
      }
      context = oc;
      ret = findStreamInfo(context);
      if (ret < 0) {
        throw failure(DecodeFailure.CORRUPT, "cannot read stream information: " + FfmpegErrors.describe(ret));
      }
    } finally {
      probed.close();
      noUrl.close();
    }
  }

  /**
   * Reads stream information. For MPEG-TS, video is not decoded while probing: FFmpeg would
   * otherwise decode up to 7 H.264 frames per chunk (to guess the reorder delay) that our decoder
   * then decodes again, a quarter of a 1 s chunk's video work. MPEG-TS carries every PTS and DTS
   * explicitly, so nothing depends on that guess; the parsers still give codec, size and
   * timestamps (hence the frame rate), and the pixel format comes with the first decoded frame.
   * Other containers probe as usual (Matroska derives timestamps from the guess).
   */
  private static int findStreamInfo(AVFormatContext context) {
    if (!context.iformat().name().getString().equals("mpegts")) {
      return avformat_find_stream_info(context, (PointerPointer<?>) null);
    }
    int n = context.nb_streams();
    PointerPointer<AVDictionary> perStream = new PointerPointer<>(Math.max(n, 1));
    for (int i = 0; i < n; i++) {
      AVDictionary dict = new AVDictionary(null);
      if (context.streams(i).codecpar().codec_type() == org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO) {
        av_dict_set(dict, "skip_frame", "all", 0);
      }
      perStream.put(i, dict);
    }
    try {
      return avformat_find_stream_info(context, perStream);
    } finally {
      for (int i = 0; i < n; i++) {
        av_dict_free(perStream.getPointer(i)); // AVDictionary** of stream i (FFmpeg may have changed it)
      }
      perStream.close();
    }
  }

  /** The demuxer, open and with stream information read. */
  AVFormatContext context() {
    return context;
  }

  /**
   * Turns an FFmpeg failure into the most specific exception: a refused external reference or
   * the deadline win over the generic {@code fallback}.
   */
  DecodeException failure(DecodeFailure fallback, String reason) {
    if (refusedUrl != null) {
      return new DecodeException(
          DecodeFailure.EXTERNAL_REFERENCE,
          "the chunk refers to another resource ('" + refusedUrl + "'); opening it was refused");
    }
    if (timedOut || pastDeadline()) {
      return new DecodeException(DecodeFailure.TIMEOUT, "decoding exceeded its time budget (" + reason + ")");
    }
    return new DecodeException(fallback, reason);
  }

  /** The URL a demuxer tried to open, or null. */
  String refusedUrl() {
    return refusedUrl;
  }

  boolean pastDeadline() {
    if (System.nanoTime() - deadlineNanos > 0) {
      timedOut = true;
    }
    return timedOut;
  }

  private int read(BytePointer buffer, int size) {
    if (pastDeadline()) {
      return AVERROR_EXIT;
    }
    long n = Math.min(size, length - position);
    if (n <= 0) {
      return AVERROR_EOF;
    }
    Pointer.memcpy(buffer, data.getPointer(position), n);
    position += n;
    return (int) n;
  }

  private long seek(long offset, int whence) {
    if ((whence & AVSEEK_SIZE) != 0) {
      return length;
    }
    long target =
        switch (whence & ~AVSEEK_FORCE) {
          case SEEK_SET -> offset;
          case SEEK_CUR -> position + offset;
          case SEEK_END -> length + offset;
          default -> -1;
        };
    if (target < 0 || target > length) {
      return AVERROR_EINVAL();
    }
    position = target;
    return target;
  }

  private static boolean isAllowed(String demuxerNames, Set<String> allowed) {
    for (String name : demuxerNames.split(",")) {
      if (allowed.contains(name)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    if (context != null) {
      avformat_close_input(context); // custom I/O: leaves our AVIOContext alone
      context = null;
    }
    if (avio != null) {
      av_free(avio.buffer()); // FFmpeg may have replaced the buffer we gave it
      avio.buffer(null);
      avio_context_free(avio);
      avio = null;
    }
    LIVE.release(token);
  }
}
