package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegErrors;

import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_out_samples;
import static org.bytedeco.ffmpeg.global.swresample.swr_next_pts;

import java.util.Arrays;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The audio path of {@link ChunkDecoder}: resamples the decoded audio to mono 48 kHz float
 * ({@link MonoResampler}) and places it on the stream clock: the chunk's audio starts at the
 * sample of its first timestamp, and later timestamps steer the resampler so that samples stay
 * on the clock across gaps.
 */
final class AudioTrackDecoder extends TrackDecoder {
  private final MonoResampler resampler = new MonoResampler();
  private FloatPointer audioOut;
  private PointerPointer<FloatPointer> audioOutPlanes;
  private int audioOutCapacity;
  private float[] audioScratch = new float[AudioClock.SAMPLE_RATE * 2];

  private SwrContext swr; // the resampler's context, once this chunk's audio has started
  private int swrInRate;
  private long firstAudioUs;
  private long audioStartSample;
  private int audioSamples;

  AudioTrackDecoder(DecodeLimits limits) {
    super("audio", limits);
  }

  @Override
  void startChunk(ChunkContext chunk) {
    super.startChunk(chunk);
    swr = null;
    audioSamples = 0;
  }

  @Override
  void onFrame() throws DecodeException {
    if (frame.nb_samples() <= 0) {
      return;
    }
    long ts = frame.best_effort_timestamp();
    long us = ts == AV_NOPTS_VALUE ? Long.MIN_VALUE : chunk.toStreamUs(ts, stream.time_base());
    if (swr == null) {
      resampler.start(frame);
      swr = resampler.context();
      swrInRate = resampler.inputRate();
      firstAudioUs = us == Long.MIN_VALUE ? chunk.startUs : us;
      audioStartSample = AudioClock.sampleIndexOf(firstAudioUs);
    } else if (!resampler.matches(frame)) {
      throw new DecodeException(DecodeFailure.CORRUPT, "the audio format changes inside the chunk");
    }
    if (us != Long.MIN_VALUE) {
      chunk.checkDuration(us, "audio");
      // Timestamps in 1/(in_rate * out_rate) s: the resampler pads or trims when the audio
      // drifts from them by more than 1 ms (a lost packet), keeping samples on the clock.
      long relUs = us - firstAudioUs;
      swr_next_pts(swr, av_rescale(relUs, (long) swrInRate * AudioClock.SAMPLE_RATE, 1_000_000L));
    }
    int capacity = swr_get_out_samples(swr, frame.nb_samples());
    convert(frame.extended_data(), frame.nb_samples(), capacity);
  }

  /** Also drains the resampler's buffered samples. */
  @Override
  void flush() throws DecodeException {
    super.flush();
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

  /** Puts this chunk's audio into {@code out}; without audio it starts at the chunk start. */
  void fill(DecodedChunk out) {
    out.audioStartSample = audioSamples > 0 ? audioStartSample : AudioClock.sampleIndexOf(chunk.startUs);
    out.audio = Arrays.copyOf(audioScratch, audioSamples);
  }

  /** Where this chunk's audio ends on the stream clock, or {@code Long.MIN_VALUE} when it has none. */
  long endUs() {
    return audioSamples > 0 ? AudioClock.timeUsOf(audioStartSample + audioSamples) : Long.MIN_VALUE;
  }

  @Override
  void endChunk() {
    super.endChunk();
    if (4L * audioScratch.length > MAX_RETAINED_SCRATCH_BYTES) {
      audioScratch = new float[AudioClock.SAMPLE_RATE * 2];
    }
  }

  @Override
  public void close() {
    super.close();
    resampler.close();
    if (audioOut != null) {
      av_free(audioOut);
      audioOutPlanes.close();
      audioOut = null;
    }
  }
}
