package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;

import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_compare;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_copy;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_uninit;
import static org.bytedeco.ffmpeg.global.avutil.av_opt_set_double;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;
import static org.bytedeco.ffmpeg.global.swresample.swr_set_matrix;

import java.util.Arrays;
import org.bytedeco.ffmpeg.avutil.AVChannelLayout;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.DoublePointer;

/**
 * FFmpeg's resampler to mono 48 kHz float (the mean of the channels), kept across chunks: {@code swr_init} with an
 * unchanged input format clears the buffered samples and timestamps but reuses the filter bank,
 * whose construction would otherwise cost about a millisecond per chunk.
 *
 * <p>Downmix: the mean of all channels, as the reference loaders do (transformers' {@code
 * load_audio}, librosa, torchaudio + {@code mean(dim=0)}), set as the resampler's matrix.
 * FFmpeg's default stereo matrix is {@code 1/sqrt(2)} per channel, 3 dB louder than the mean,
 * and its surround matrices weight channels differently (docs/preprocessing.md).
 *
 * <p>Timestamp compensation: when a frame's timestamp drifts from the audio by more than 1 ms
 * (a lost packet), the resampler pads with silence or trims, so samples stay on the clock.
 */
final class MonoResampler implements AutoCloseable {
  private SwrContext swr;
  private int rate;
  private int format = -1;
  private final AVChannelLayout layout = new AVChannelLayout();

  /** Ready for a new chunk whose audio looks like {@code first}. */
  void start(AVFrame first) throws DecodeException {
    if (swr == null || !matches(first)) {
      configure(first);
    }
    int ret = swr_init(swr);
    if (ret < 0) {
      throw new DecodeException(DecodeFailure.CORRUPT, "cannot resample the audio: " + FfmpegErrors.describe(ret));
    }
  }

  /** Whether {@code frame} has the input format the resampler is set up for. */
  boolean matches(AVFrame frame) {
    return frame.sample_rate() == rate
        && frame.format() == format
        && av_channel_layout_compare(frame.ch_layout(), layout) == 0;
  }

  SwrContext context() {
    return swr;
  }

  int inputRate() {
    return rate;
  }

  private void configure(AVFrame first) throws DecodeException {
    if (swr != null) {
      swr_free(swr);
      swr = null;
    }
    rate = first.sample_rate();
    format = first.format();
    av_channel_layout_uninit(layout);
    av_channel_layout_copy(layout, first.ch_layout());
    SwrContext context = new SwrContext(null);
    int ret;
    try (AVChannelLayout mono = new AVChannelLayout()) {
      av_channel_layout_default(mono, 1);
      ret = swr_alloc_set_opts2(context, mono, AV_SAMPLE_FMT_FLT, AudioClock.SAMPLE_RATE, layout, format, rate, 0, null);
      av_channel_layout_uninit(mono);
    }
    if (ret < 0 || context.isNull()) {
      format = -1;
      throw new DecodeException(DecodeFailure.CORRUPT, "unsupported audio format: " + FfmpegErrors.describe(ret));
    }
    int channels = layout.nb_channels();
    if (channels > 1) {
      double[] mean = new double[channels];
      Arrays.fill(mean, 1.0 / channels);
      try (DoublePointer matrix = new DoublePointer(mean)) {
        ret = swr_set_matrix(context, matrix, channels);
      }
      if (ret < 0) {
        swr_free(context);
        format = -1;
        throw new DecodeException(DecodeFailure.CORRUPT, "cannot downmix " + channels + " channels: " + FfmpegErrors.describe(ret));
      }
    }
    av_opt_set_double(context, "min_comp", 0.001, 0);
    av_opt_set_double(context, "min_hard_comp", 0.001, 0);
    swr = context;
  }

  @Override
  public void close() {
    if (swr != null) {
      swr_free(swr);
      swr = null;
    }
    av_channel_layout_uninit(layout);
    layout.close();
  }
}
