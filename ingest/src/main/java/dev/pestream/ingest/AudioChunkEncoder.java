package dev.pestream.ingest;

import static dev.pestream.ingest.Codecs.check;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_drain;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_free;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_read;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_size;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_write;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_copy;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_uninit;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_out_samples;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;

import dev.pestream.media.FfmpegErrors;
import java.io.IOException;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVAudioFifo;
import org.bytedeco.ffmpeg.avutil.AVChannelLayout;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Decodes the source's audio into a FIFO of 16-bit interleaved samples (the source's rate and
 * channels) and encodes sample-exact ranges of it, FLAC or WAV, into a chunk's muxer. Samples are
 * counted from the stream clock's zero, so a range can be cut exactly at a grid boundary.
 */
final class AudioChunkEncoder implements AutoCloseable {
  private final SourceReader reader;
  private final AVStream stream;
  private final long clockOffsetUs;
  private final AVCodecContext decoder;
  private final AVFrame frame = av_frame_alloc();
  private final AVFrame s16 = av_frame_alloc();
  private SwrContext toS16;
  private AVAudioFifo fifo;
  private int sampleRate;
  private AVChannelLayout layout;
  private long fifoStartSample = Long.MIN_VALUE; // absolute index of the fifo's first sample
  private long firstUs;

  /** An encoder opened for one chunk, with its stream in that chunk's muxer. */
  record Encoding(AVCodecContext encoder, int streamIndex) {
    void free() {
      avcodec_free_context(encoder);
    }
  }

  AudioChunkEncoder(SourceReader reader, long clockOffsetUs) throws IOException {
    this.reader = reader;
    this.stream = reader.audio();
    this.clockOffsetUs = clockOffsetUs;
    this.decoder = Codecs.openDecoder(stream);
  }

  void decode(AVPacket packet) throws IOException {
    check(avcodec_send_packet(decoder, packet), "decoding audio");
    receive();
  }

  /** The source ended: flushes the decoder and the converter into the FIFO. */
  void finish() throws IOException {
    check(avcodec_send_packet(decoder, null), "flushing the audio decoder");
    receive();
    if (toS16 != null) {
      convert(null, 0);
    }
  }

  /** Whether the first frame has arrived (before it, the FIFO and its sample clock do not exist). */
  boolean started() {
    return fifo != null;
  }

  /** Stream-clock time of the first frame. */
  long firstUs() {
    return firstUs;
  }

  /** Absolute index of the first sample still in the FIFO. */
  long startSample() {
    return fifoStartSample;
  }

  /** Absolute index just past the last sample in the FIFO (once started). */
  long endSample() {
    return fifoStartSample + av_audio_fifo_size(fifo);
  }

  long sampleAt(long us) {
    return Math.floorDiv(us * sampleRate + 500_000L, 1_000_000L);
  }

  long usOfSample(long sample) {
    return Math.floorDiv(sample * 1_000_000L + sampleRate / 2, sampleRate);
  }

  private void receive() throws IOException {
    while (Codecs.receive(decoder, frame)) {
      try {
        if (toS16 == null) {
          open(frame);
        }
        convert(frame.extended_data(), frame.nb_samples());
      } finally {
        av_frame_unref(frame);
      }
    }
  }

  private void open(AVFrame first) throws IOException {
    sampleRate = first.sample_rate();
    layout = new AVChannelLayout();
    if (first.ch_layout().nb_channels() <= 8) {
      av_channel_layout_copy(layout, first.ch_layout());
    } else {
      av_channel_layout_default(layout, 2);
    }
    // Demuxers may report an unspecified channel order (plain WAV); encoders want a native one.
    if (layout.order() == org.bytedeco.ffmpeg.global.avutil.AV_CHANNEL_ORDER_UNSPEC) {
      int channels = layout.nb_channels();
      av_channel_layout_uninit(layout);
      av_channel_layout_default(layout, channels);
    }
    toS16 = new SwrContext(null);
    check(
        swr_alloc_set_opts2(
            toS16, layout, AV_SAMPLE_FMT_S16, sampleRate, first.ch_layout(), first.format(), sampleRate, 0, null),
        "setting up audio conversion");
    check(swr_init(toS16), "setting up audio conversion");
    fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_S16, layout.nb_channels(), sampleRate);
    long ts = first.best_effort_timestamp();
    firstUs = ts == AV_NOPTS_VALUE ? clockOffsetUs : clockOffsetUs + reader.sinceOriginUs(ts, stream.time_base());
    fifoStartSample = sampleAt(firstUs);
  }

  /** Converts samples to 16-bit interleaved and queues them ({@code null} flushes the converter). */
  private void convert(PointerPointer<?> planes, int samples) throws IOException {
    int capacity = swr_get_out_samples(toS16, samples);
    if (capacity <= 0) {
      return;
    }
    if (s16.nb_samples() < capacity) {
      av_frame_unref(s16);
      s16.nb_samples(capacity).format(AV_SAMPLE_FMT_S16).sample_rate(sampleRate);
      av_channel_layout_copy(s16.ch_layout(), layout);
      check(av_frame_get_buffer(s16, 0), "allocating audio");
    }
    int n = swr_convert(toS16, s16.extended_data(), s16.nb_samples(), planes, samples);
    check(n, "converting audio");
    if (n > 0) {
      int written = av_audio_fifo_write(fifo, s16.extended_data(), n);
      if (written < n) {
        throw new IOException("audio buffer full: " + FfmpegErrors.describe(written));
      }
    }
  }

  /** Opens an encoder for one chunk and adds its stream to {@code mux}; the caller frees it. */
  Encoding openEncoder(int codecId, MemoryMuxer mux) throws IOException {
    AVCodec codec = avcodec_find_encoder(codecId);
    AVCodecContext enc = avcodec_alloc_context3(codec);
    enc.sample_fmt(AV_SAMPLE_FMT_S16).sample_rate(sampleRate);
    av_channel_layout_copy(enc.ch_layout(), layout);
    enc.time_base().num(1).den(sampleRate);
    if (mux.wantsGlobalHeader()) {
      enc.flags(enc.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
    }
    int ret = avcodec_open2(enc, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(enc);
      check(ret, "opening the " + codec.name().getString() + " encoder");
    }
    return new Encoding(enc, mux.addStream(enc));
  }

  /** Encodes fifo samples {@code [from, to)} (absolute indices) into the muxer. */
  void encode(Encoding out, long from, long to, MemoryMuxer mux) throws IOException {
    drainTo(from);
    AVCodecContext enc = out.encoder();
    int frameSize = enc.frame_size() > 0 ? enc.frame_size() : 4096;
    AVFrame f = av_frame_alloc();
    AVPacket p = av_packet_alloc();
    try {
      long at = from;
      while (at < to) {
        int n = (int) Math.min(frameSize, to - at);
        f.nb_samples(n).format(AV_SAMPLE_FMT_S16).sample_rate(sampleRate);
        av_channel_layout_copy(f.ch_layout(), layout);
        check(av_frame_get_buffer(f, 0), "allocating audio");
        int read = av_audio_fifo_read(fifo, f.data(), n);
        if (read != n) {
          throw new IOException("audio buffer underrun: " + read + " of " + n + " samples");
        }
        f.pts(at - from);
        fifoStartSample += n;
        check(avcodec_send_frame(enc, f), "encoding audio");
        av_frame_unref(f);
        writePackets(enc, p, out.streamIndex(), from, mux);
        at += n;
      }
      check(avcodec_send_frame(enc, null), "flushing the audio encoder");
      writePackets(enc, p, out.streamIndex(), from, mux);
    } finally {
      av_frame_free(f);
      av_packet_free(p);
    }
  }

  private void writePackets(AVCodecContext enc, AVPacket p, int index, long firstSample, MemoryMuxer mux)
      throws IOException {
    while (true) {
      int ret = avcodec_receive_packet(enc, p);
      if (ret == AVERROR_EAGAIN() || ret == AVERROR_EOF) {
        return;
      }
      check(ret, "encoding audio");
      long start = firstSample + p.pts();
      long us = usOfSample(start);
      mux.write(p, index, us, us, usOfSample(start + p.duration()) - us);
    }
  }

  /** Drops fifo samples before absolute index {@code sample}. */
  void drainTo(long sample) {
    long drop = Math.min(sample - fifoStartSample, av_audio_fifo_size(fifo));
    if (drop > 0) {
      av_audio_fifo_drain(fifo, (int) drop);
      fifoStartSample += drop;
    }
  }

  @Override
  public void close() {
    avcodec_free_context(decoder);
    if (toS16 != null) {
      swr_free(toS16);
    }
    if (fifo != null) {
      av_audio_fifo_free(fifo);
    }
    if (layout != null) {
      av_channel_layout_uninit(layout);
      layout.close();
    }
    av_frame_free(frame);
    av_frame_free(s16);
  }
}
