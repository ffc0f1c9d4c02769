package dev.pestream.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FLAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PCM_S16LE;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
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
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_out_samples;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_alloc_context;
import static org.bytedeco.ffmpeg.global.swscale.sws_free_context;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale_frame;

import dev.pestream.media.FfmpegErrors;
import dev.pestream.schemas.MediaKind;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVAudioFifo;
import org.bytedeco.ffmpeg.avutil.AVChannelLayout;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Cuts a source by re-encoding, exactly on a grid of {@code chunkDurationUs} on the stream clock
 * (chunk {@code k} covers {@code [k * D, (k + 1) * D)}):
 *
 * <ul>
 *   <li>audio-only sources become FLAC or WAV chunks (16-bit, the source's rate and channels;
 *       lossless and sample-exact, so consecutive chunks tile the audio with no seam);
 *   <li>with {@code --transcode}, video is re-encoded to H.264 (OpenH264; a fresh encoder per
 *       chunk, so every chunk starts with a keyframe) and muxed with FLAC audio in Matroska.
 * </ul>
 */
final class EncodingChunker implements Chunker {
  private static final long VIDEO_TIME_BASE = 90_000;

  private final SourceReader reader;
  private final ChunkingSettings settings;
  private final long chunkUs;
  private final long clockOffsetUs;
  private final ChunkSink sink;
  private final AVStream video;
  private final AVStream audio;
  private final AVFrame frame = av_frame_alloc();

  private AVCodecContext videoDecoder;
  private AVRational frameRate;
  private SwsContext toYuv;
  private AVFrame yuv;
  private final Deque<VideoChunk> videoChunks = new ArrayDeque<>();

  private AVCodecContext audioDecoder;
  private SwrContext toS16;
  private AVFrame s16 = av_frame_alloc();
  private AVAudioFifo fifo;
  private int sampleRate;
  private AVChannelLayout layout;
  private long fifoStartSample = Long.MIN_VALUE; // absolute index of the fifo's first sample
  private long nextAudioChunk = Long.MIN_VALUE;
  private boolean ended;
  private long lastEndUs = Long.MIN_VALUE;

  /** Encoded video of one grid cell, waiting for its audio. */
  private final class VideoChunk {
    final long index;
    final AVCodecContext encoder;
    final List<AVPacket> packets = new ArrayList<>();
    boolean done;

    VideoChunk(long index, AVFrame first) throws IOException {
      this.index = index;
      this.encoder = openVideoEncoder(first.width(), first.height());
    }

    void encode(AVFrame f) throws IOException {
      check(avcodec_send_frame(encoder, f), "encoding video");
      drain();
    }

    void finish() throws IOException {
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

  EncodingChunker(SourceReader reader, ChunkingSettings settings, long clockOffsetUs, ChunkSink sink)
      throws IOException {
    this.reader = reader;
    this.settings = settings;
    this.chunkUs = settings.chunkDurationUs();
    this.clockOffsetUs = clockOffsetUs;
    this.sink = sink;
    this.video = reader.video();
    this.audio = reader.audio();
    if (video != null) {
      videoDecoder = openDecoder(video);
      frameRate = av_guess_frame_rate(reader.context(), video, null);
    }
    if (audio != null) {
      audioDecoder = openDecoder(audio);
    }
  }

  @Override
  public void onPacket(AVPacket packet, AVStream stream) throws Exception {
    if (video != null && stream.index() == video.index()) {
      check(avcodec_send_packet(videoDecoder, packet), "decoding video");
      receiveVideo();
    } else {
      check(avcodec_send_packet(audioDecoder, packet), "decoding audio");
      receiveAudio();
    }
    emitReady();
  }

  @Override
  public void finish() throws Exception {
    if (videoDecoder != null) {
      check(avcodec_send_packet(videoDecoder, null), "flushing the video decoder");
      receiveVideo();
      for (VideoChunk c : videoChunks) {
        c.finish();
      }
    }
    if (audioDecoder != null) {
      check(avcodec_send_packet(audioDecoder, null), "flushing the audio decoder");
      receiveAudio();
      if (toS16 != null) {
        convert(null, 0);
      }
    }
    ended = true;
    emitReady();
  }

  @Override
  public long lastEndUs() {
    return lastEndUs;
  }

  // ---- video ----

  private void receiveVideo() throws IOException {
    while (receive(videoDecoder)) {
      try {
        long ts = frame.best_effort_timestamp();
        if (ts == AV_NOPTS_VALUE) {
          continue;
        }
        long us = clockOffsetUs + reader.sinceOriginUs(ts, video.time_base());
        long k = Math.floorDiv(us, chunkUs);
        VideoChunk current = videoChunks.peekLast();
        if (current == null || k > current.index) {
          if (current != null) {
            current.finish();
          }
          current = new VideoChunk(k, frame);
          videoChunks.addLast(current);
        }
        AVFrame input = toEncoderFormat(frame, current.encoder);
        input.pts(av_rescale(us, VIDEO_TIME_BASE, 1_000_000L));
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

  private AVCodecContext openVideoEncoder(int width, int height) throws IOException {
    AVCodec codec = avcodec_find_encoder_by_name("libopenh264");
    if (codec == null || codec.isNull()) {
      codec = avcodec_find_encoder(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4);
    }
    AVCodecContext enc = avcodec_alloc_context3(codec);
    enc.width(width & ~1).height(height & ~1).pix_fmt(AV_PIX_FMT_YUV420P);
    enc.time_base().num(1).den((int) VIDEO_TIME_BASE);
    if (frameRate != null && frameRate.num() > 0) {
      enc.framerate(frameRate);
    }
    enc.bit_rate(settings.videoBitrate());
    enc.gop_size(100_000); // one keyframe per chunk: the first frame of a fresh encoder
    enc.max_b_frames(0);
    enc.flags(enc.flags() | AV_CODEC_FLAG_GLOBAL_HEADER); // Matroska wants SPS/PPS as extradata
    int ret = avcodec_open2(enc, codec, (org.bytedeco.ffmpeg.avutil.AVDictionary) null);
    if (ret < 0) {
      avcodec_free_context(enc);
      check(ret, "opening the " + codec.name().getString() + " encoder");
    }
    return enc;
  }

  // ---- audio ----

  private void receiveAudio() throws IOException {
    while (receive(audioDecoder)) {
      try {
        if (toS16 == null) {
          openAudioPath(frame);
        }
        convert(frame.extended_data(), frame.nb_samples());
      } finally {
        av_frame_unref(frame);
      }
    }
  }

  private void openAudioPath(AVFrame first) throws IOException {
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
    long us = ts == AV_NOPTS_VALUE ? clockOffsetUs : clockOffsetUs + reader.sinceOriginUs(ts, audio.time_base());
    fifoStartSample = sampleAt(us);
    nextAudioChunk = Math.floorDiv(us, chunkUs);
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

  private long fifoEndSample() {
    return fifo == null ? Long.MIN_VALUE : fifoStartSample + av_audio_fifo_size(fifo);
  }

  private long sampleAt(long us) {
    return Math.floorDiv(us * sampleRate + 500_000L, 1_000_000L);
  }

  private long usOfSample(long sample) {
    return Math.floorDiv(sample * 1_000_000L + sampleRate / 2, sampleRate);
  }

  // ---- chunks ----

  /** Emits every chunk whose video is complete and whose audio has arrived. */
  private void emitReady() throws Exception {
    if (video == null) {
      while (fifo != null && (fifoEndSample() >= sampleAt((nextAudioChunk + 1) * chunkUs) || (ended && fifoEndSample() > fifoStartSample))) {
        emitAudioOnly(nextAudioChunk++);
      }
      return;
    }
    while (!videoChunks.isEmpty()) {
      VideoChunk c = videoChunks.peekFirst();
      boolean audioReady = audio == null || ended || (fifo != null && fifoEndSample() >= sampleAt((c.index + 1) * chunkUs));
      if (!(c.done && audioReady)) {
        return;
      }
      videoChunks.removeFirst();
      try {
        emitVideo(c);
      } finally {
        c.release();
      }
    }
  }

  private void emitAudioOnly(long k) throws Exception {
    boolean flac = settings.audioFormat() == ChunkingSettings.AudioFormat.FLAC;
    long from = Math.max(fifoStartSample, sampleAt(k * chunkUs));
    long to = Math.min(fifoEndSample(), sampleAt((k + 1) * chunkUs));
    byte[] bytes;
    try (MemoryMuxer mux = new MemoryMuxer(flac ? "flac" : "wav")) {
      AudioEncoding audioOut = openAudioEncoder(flac ? AV_CODEC_ID_FLAC : AV_CODEC_ID_PCM_S16LE, mux);
      try {
        mux.writeHeader(Map.of());
        encodeAudio(audioOut, from, to, mux);
      } finally {
        avcodec_free_context(audioOut.encoder());
      }
      bytes = mux.finish();
    }
    emit(bytes, flac ? "flac" : "wav", MediaKind.AUDIO, flac ? "flac" : "pcm_s16le", null, usOfSample(from), usOfSample(to));
  }

  private void emitVideo(VideoChunk c) throws Exception {
    long from = Long.MAX_VALUE;
    long to = Long.MIN_VALUE;
    byte[] bytes;
    boolean withAudio;
    try (MemoryMuxer mux = new MemoryMuxer("matroska")) {
      int videoIndex = mux.addStream(c.encoder);
      AudioEncoding audioOut = null;
      long audioFrom = 0;
      long audioTo = 0;
      if (fifo != null) {
        audioFrom = Math.max(fifoStartSample, sampleAt(c.index * chunkUs));
        audioTo = Math.min(fifoEndSample(), sampleAt((c.index + 1) * chunkUs));
        if (audioTo > audioFrom) {
          audioOut = openAudioEncoder(AV_CODEC_ID_FLAC, mux);
        } else if (audioFrom > fifoStartSample) {
          drainTo(audioFrom);
        }
      }
      withAudio = audioOut != null;
      try {
        mux.writeHeader(Map.of());
        long frameUs = frameRate != null && frameRate.num() > 0 ? 1_000_000L * frameRate.den() / frameRate.num() : 0;
        for (AVPacket p : c.packets) {
          long pts = av_rescale(p.pts(), 1_000_000L, VIDEO_TIME_BASE);
          long dts = p.dts() == AV_NOPTS_VALUE ? pts : av_rescale(p.dts(), 1_000_000L, VIDEO_TIME_BASE);
          from = Math.min(from, pts);
          to = Math.max(to, pts + frameUs);
          mux.write(p, videoIndex, pts, dts, frameUs);
        }
        if (withAudio) {
          encodeAudio(audioOut, audioFrom, audioTo, mux);
          from = Math.min(from, usOfSample(audioFrom));
          to = Math.max(to, usOfSample(audioTo));
        }
      } finally {
        if (audioOut != null) {
          avcodec_free_context(audioOut.encoder());
        }
      }
      bytes = mux.finish();
    }
    emit(
        bytes,
        "matroska",
        withAudio ? MediaKind.AUDIO_VIDEO : MediaKind.VIDEO,
        withAudio ? "flac" : null,
        avcodec_get_name(c.encoder.codec_id()).getString(),
        from,
        to);
  }

  private record AudioEncoding(AVCodecContext encoder, int streamIndex) {}

  private AudioEncoding openAudioEncoder(int codecId, MemoryMuxer mux) throws IOException {
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
    return new AudioEncoding(enc, mux.addStream(enc));
  }

  /** Encodes fifo samples {@code [from, to)} (absolute indices) into the muxer. */
  private void encodeAudio(AudioEncoding out, long from, long to, MemoryMuxer mux) throws IOException {
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
        writeAudioPackets(enc, p, out.streamIndex(), from, mux);
        at += n;
      }
      check(avcodec_send_frame(enc, null), "flushing the audio encoder");
      writeAudioPackets(enc, p, out.streamIndex(), from, mux);
    } finally {
      av_frame_free(f);
      av_packet_free(p);
    }
  }

  private void writeAudioPackets(AVCodecContext enc, AVPacket p, int index, long firstSample, MemoryMuxer mux)
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
  private void drainTo(long sample) {
    long drop = Math.min(sample - fifoStartSample, av_audio_fifo_size(fifo));
    if (drop > 0) {
      av_audio_fifo_drain(fifo, (int) drop);
      fifoStartSample += drop;
    }
  }

  private void emit(
      byte[] bytes, String container, MediaKind kind, String audioCodec, String videoCodec, long startUs, long endUs)
      throws Exception {
    lastEndUs = endUs;
    sink.accept(new ChunkData(bytes, container, kind, audioCodec, videoCodec, startUs, endUs - startUs, false));
  }

  // ---- helpers ----

  private boolean receive(AVCodecContext decoder) throws IOException {
    int ret = avcodec_receive_frame(decoder, frame);
    if (ret == AVERROR_EAGAIN() || ret == AVERROR_EOF) {
      return false;
    }
    check(ret, "decoding");
    return true;
  }

  private static AVCodecContext openDecoder(AVStream stream) throws IOException {
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

  private static void check(int ret, String what) throws IOException {
    if (ret < 0) {
      throw new IOException(what + " failed: " + FfmpegErrors.describe(ret));
    }
  }

  @Override
  public void close() {
    videoChunks.forEach(VideoChunk::release);
    videoChunks.clear();
    if (videoDecoder != null) {
      avcodec_free_context(videoDecoder);
    }
    if (audioDecoder != null) {
      avcodec_free_context(audioDecoder);
    }
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
    if (toYuv != null) {
      sws_free_context(toYuv);
    }
    if (yuv != null) {
      av_frame_free(yuv);
    }
    if (frameRate != null) {
      frameRate.close();
    }
    av_frame_free(frame);
    av_frame_free(s16);
  }
}
