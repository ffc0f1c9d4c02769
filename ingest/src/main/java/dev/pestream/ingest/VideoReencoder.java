package dev.pestream.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_DISPLAYMATRIX;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_side_data_get;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;

import static dev.pestream.ingest.Codecs.check;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_alloc_context;
import static org.bytedeco.ffmpeg.global.swscale.sws_free_context;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale_frame;

import java.io.IOException;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.ffmpeg.avcodec.AVPacketSideData;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;

/**
 * Decodes the source's video and re-encodes it cell by cell of the chunk grid, to H.264 (OpenH264;
 * MPEG-4 where it is missing) with a fresh encoder per cell, so every chunk starts with a
 * keyframe. Encoded cells queue here, oldest first, until they are muxed.
 */
final class VideoReencoder implements AutoCloseable {
  /** Time base of the encoded packets. */
  static final long TIME_BASE = 90_000;

  private final SourceReader reader;
  private final AVStream stream;
  private final long chunkUs;
  private final long clockOffsetUs;
  private final long bitrate;
  private final AVCodecContext decoder;
  private final AVRational frameRate;
  private final AVFrame frame = av_frame_alloc();
  private SwsContext toYuv;
  private AVFrame yuv;
  private final Deque<VideoChunk> chunks = new ArrayDeque<>();

  /** Encoded video of one grid cell, waiting for its audio. */
  static final class VideoChunk {
    final long index;
    final AVCodecContext encoder;
    final List<AVPacket> packets = new ArrayList<>();
    boolean done;

    private VideoChunk(long index, AVCodecContext encoder) {
      this.index = index;
      this.encoder = encoder;
    }

    private void encode(AVFrame f) throws IOException {
      check(avcodec_send_frame(encoder, f), "encoding video");
      drain();
    }

    private void finish() throws IOException {
      if (!done) {
        check(avcodec_send_frame(encoder, null), "flushing the video encoder");
        drain();
        done = true;
      }
    }

    private void drain() throws IOException {
      while (true) {
        AVPacket p = av_packet_alloc();
        int ret = avcodec_receive_packet(encoder, p);
        if (ret == AVERROR_EAGAIN() || ret == AVERROR_EOF) {
          av_packet_free(p);
          return;
        }
        if (ret < 0) {
          av_packet_free(p);
          check(ret, "encoding video");
        }
        packets.add(p);
      }
    }

    void release() {
      packets.forEach(p -> av_packet_free(p));
      packets.clear();
      avcodec_free_context(encoder);
    }
  }

  VideoReencoder(SourceReader reader, ChunkingSettings settings, long clockOffsetUs) throws IOException {
    this.reader = reader;
    this.stream = reader.video();
    this.chunkUs = settings.chunkDurationUs();
    this.clockOffsetUs = clockOffsetUs;
    this.bitrate = settings.videoBitrate();
    this.decoder = Codecs.openDecoder(stream);
    this.frameRate = av_guess_frame_rate(reader.context(), stream, null);
  }

  /** Whether {@code s} is the stream this decodes. */
  boolean decodes(AVStream s) {
    return s.index() == stream.index();
  }

  void decode(AVPacket packet) throws IOException {
    check(avcodec_send_packet(decoder, packet), "decoding video");
    receive();
  }

  /** The source ended: flushes the decoder and completes every cell. */
  void finish() throws IOException {
    check(avcodec_send_packet(decoder, null), "flushing the video decoder");
    receive();
    for (VideoChunk c : chunks) {
      c.finish();
    }
  }

  /** The oldest cell not yet taken, or null. */
  VideoChunk oldest() {
    return chunks.peekFirst();
  }

  /** Takes the oldest cell; the caller releases it. */
  VideoChunk takeOldest() {
    return chunks.removeFirst();
  }

  /** Duration of one frame at the guessed frame rate, 0 if unknown. */
  long frameUs() {
    return frameRate.num() > 0 ? 1_000_000L * frameRate.den() / frameRate.num() : 0;
  }

  private void receive() throws IOException {
    while (Codecs.receive(decoder, frame)) {
      try {
        long ts = frame.best_effort_timestamp();
        if (ts == AV_NOPTS_VALUE) {
          continue;
        }
        long us = clockOffsetUs + reader.sinceOriginUs(ts, stream.time_base());
        long k = Math.floorDiv(us, chunkUs);
        VideoChunk current = chunks.peekLast();
        if (current == null || k > current.index) {
          if (current != null) {
            current.finish();
          }
          current = new VideoChunk(k, openEncoder(frame.width(), frame.height()));
          chunks.addLast(current);
        }
        AVFrame input = toEncoderFormat(frame, current.encoder);
        input.pts(av_rescale(us, TIME_BASE, 1_000_000L));
        input.pict_type(AV_PICTURE_TYPE_NONE);
        current.encode(input);
      } finally {
        av_frame_unref(frame);
      }
    }
  }

  private AVFrame toEncoderFormat(AVFrame decoded, AVCodecContext encoder) throws IOException {
    if (decoded.format() == AV_PIX_FMT_YUV420P
        && decoded.width() == encoder.width()
        && decoded.height() == encoder.height()) {
      return decoded;
    }
    if (toYuv == null) {
      toYuv = sws_alloc_context();
      toYuv.flags(SWS_BILINEAR);
    }
    if (yuv == null || yuv.width() != encoder.width() || yuv.height() != encoder.height()) {
      if (yuv != null) {
        av_frame_free(yuv);
      }
      yuv = av_frame_alloc();
      yuv.width(encoder.width()).height(encoder.height()).format(AV_PIX_FMT_YUV420P);
      check(av_frame_get_buffer(yuv, 0), "allocating a video frame");
    }
    check(sws_scale_frame(toYuv, yuv, decoded), "converting video to yuv420p");
    return yuv;
  }

  private AVCodecContext openEncoder(int width, int height) throws IOException {
    AVCodec codec = avcodec_find_encoder_by_name("libopenh264");
    if (codec == null || codec.isNull()) {
      codec = avcodec_find_encoder(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4);
    }
    AVCodecContext enc = avcodec_alloc_context3(codec);
    enc.width(width & ~1).height(height & ~1).pix_fmt(AV_PIX_FMT_YUV420P);
    enc.time_base().num(1).den((int) TIME_BASE);
    if (frameRate.num() > 0) {
      enc.framerate(frameRate);
    }
    enc.bit_rate(bitrate);
    enc.gop_size(100_000); // one keyframe per chunk: the first frame of a fresh encoder
    enc.max_b_frames(0);
    enc.flags(enc.flags() | AV_CODEC_FLAG_GLOBAL_HEADER); // Matroska wants SPS/PPS as extradata
    keepDisplayMatrix(enc);
    int ret = avcodec_open2(enc, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(enc);
      check(ret, "opening the " + codec.name().getString() + " encoder");
    }
    return enc;
  }

  /**
   * Gives the encoder the source's display matrix (a phone's portrait video), which the muxer
   * writes (Matroska as its projection pose) and the job's decoder honours. Set before the
   * encoder opens, in FFmpeg's memory: the encoder may add its own side data, and frees them all.
   */
  private void keepDisplayMatrix(AVCodecContext enc) {
    AVPacketSideData source = av_packet_side_data_get(
        stream.codecpar().coded_side_data(), stream.codecpar().nb_coded_side_data(), AV_PKT_DATA_DISPLAYMATRIX);
    if (source == null || source.isNull()) {
      return;
    }
    int size = (int) source.size();
    AVPacketSideData copy = new AVPacketSideData(av_mallocz(Pointer.sizeof(AVPacketSideData.class)));
    BytePointer data = new BytePointer(av_malloc(size)).capacity(size);
    byte[] matrix = new byte[size];
    source.data().capacity(size).get(matrix);
    data.put(matrix);
    copy.data(data).size(size).type(AV_PKT_DATA_DISPLAYMATRIX);
    enc.coded_side_data(copy).nb_coded_side_data(1);
  }

  @Override
  public void close() {
    chunks.forEach(VideoChunk::release);
    chunks.clear();
    avcodec_free_context(decoder);
    if (toYuv != null) {
      sws_free_context(toYuv);
    }
    if (yuv != null) {
      av_frame_free(yuv);
    }
    frameRate.close();
    av_frame_free(frame);
  }
}
