package dev.pestream.ingest;

import dev.pestream.media.MemoryOutput;

import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;

import dev.pestream.media.FfmpegErrors;
import java.io.IOException;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;

/**
 * Muxes packets into one self-contained container in memory (one chunk). Packet times are given
 * in microseconds on the stream clock and rescaled to whatever time base the muxer picks.
 */
final class MemoryMuxer implements AutoCloseable {
  private final String format;
  private final MemoryOutput output = new MemoryOutput();
  private final AVFormatContext context = new AVFormatContext(null);
  private boolean headerWritten;

  MemoryMuxer(String format) throws IOException {
    this.format = format;
    int ret = avformat_alloc_output_context2(context, null, format, null);
    if (ret < 0 || context.isNull()) {
      output.close();
      throw new IOException("no " + format + " muxer: " + FfmpegErrors.describe(ret));
    }
    context.pb(output.avio());
  }

  /** Adds a stream copying {@code parameters} (remux); returns its index. */
  int addStream(AVCodecParameters parameters, AVRational timeBase) throws IOException {
    AVStream stream = avformat_new_stream(context, null);
    check(avcodec_parameters_copy(stream.codecpar(), parameters), "copying stream parameters");
    stream.codecpar().codec_tag(0);
    stream.time_base(timeBase);
    return stream.index();
  }

  /** Adds a stream for an opened encoder; returns its index. */
  int addStream(AVCodecContext encoder) throws IOException {
    AVStream stream = avformat_new_stream(context, null);
    check(avcodec_parameters_from_context(stream.codecpar(), encoder), "copying encoder parameters");
    stream.time_base(encoder.time_base());
    return stream.index();
  }

  /** Whether streams need global headers (extradata) rather than in-band ones. */
  boolean wantsGlobalHeader() {
    return (context.oformat().flags() & org.bytedeco.ffmpeg.global.avformat.AVFMT_GLOBALHEADER) != 0;
  }

  void writeHeader(Map<String, String> options) throws IOException {
    AVDictionary dict = new AVDictionary(null);
    options.forEach((k, v) -> av_dict_set(dict, k, v, 0));
    int ret = avformat_write_header(context, dict);
    av_dict_free(dict);
    check(ret, "writing the " + format + " header");
    headerWritten = true;
  }

  /**
   * Writes {@code packet} (consumed: its data reference moves into the muxer) to stream {@code
   * index} at the given stream-clock times in microseconds ({@code AV_NOPTS_VALUE} for unknown).
   */
  void write(AVPacket packet, int index, long ptsUs, long dtsUs, long durationUs) throws IOException {
    AVRational tb = context.streams(index).time_base();
    packet.stream_index(index);
    packet.pts(ptsUs == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : toTimeBase(ptsUs, tb));
    packet.dts(dtsUs == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : toTimeBase(dtsUs, tb));
    packet.duration(durationUs <= 0 ? 0 : toTimeBase(durationUs, tb));
    packet.pos(-1);
    check(av_interleaved_write_frame(context, packet), "muxing a packet into " + format);
  }

  private static long toTimeBase(long us, AVRational tb) {
    return av_rescale(us, tb.den(), 1_000_000L * tb.num());
  }

  /** Writes the trailer and returns the container bytes. */
  byte[] finish() throws IOException {
    check(av_write_trailer(context), "writing the " + format + " trailer");
    headerWritten = false;
    return output.toByteArray();
  }

  private static void check(int ret, String what) throws IOException {
    if (ret < 0) {
      throw new IOException(what + " failed: " + FfmpegErrors.describe(ret));
    }
  }

  @Override
  public void close() {
    if (headerWritten) {
      av_write_trailer(context); // frees muxer-private state of an abandoned chunk
    }
    context.pb(null);
    avformat_free_context(context);
    output.close();
  }
}
