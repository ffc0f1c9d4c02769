package dev.pestream.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;

import dev.pestream.media.FfmpegErrors;
import java.io.IOException;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/** FFmpeg codec calls shared by the parts of {@link EncodingChunker}. */
final class Codecs {
  private Codecs() {}

  static AVCodecContext openDecoder(AVStream stream) throws IOException {
    AVCodec codec = avcodec_find_decoder(stream.codecpar().codec_id());
    if (codec == null || codec.isNull()) {
      throw new IOException("no decoder for " + avcodec_get_name(stream.codecpar().codec_id()).getString());
    }
    AVCodecContext ctx = avcodec_alloc_context3(codec);
    check(avcodec_parameters_to_context(ctx, stream.codecpar()), "configuring the decoder");
    ctx.pkt_timebase(stream.time_base());
    int ret = avcodec_open2(ctx, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(ctx);
      check(ret, "opening the " + codec.name().getString() + " decoder");
    }
    return ctx;
  }

  /** Receives the decoder's next frame into {@code frame}; false when it needs input or is drained. */
  static boolean receive(AVCodecContext decoder, AVFrame frame) throws IOException {
    int ret = avcodec_receive_frame(decoder, frame);
    if (ret == AVERROR_EAGAIN() || ret == AVERROR_EOF) {
      return false;
    }
    check(ret, "decoding");
    return true;
  }

  static void check(int ret, String what) throws IOException {
    if (ret < 0) {
      throw new IOException(what + " failed: " + FfmpegErrors.describe(ret));
    }
  }
}
