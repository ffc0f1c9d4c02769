package dev.pestream.operators.testing;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FLAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MP3;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PCM_S16LE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_VP8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Test media made by JavaCV's recorder (no ffmpeg program needed): video frames of solid colours
 * from {@link #PALETTE} in a known order, audio silent except for tones at known times. Tones
 * start at full amplitude (cosine phase) so an onset is a sharp step whose time is unambiguous.
 */
public final class SyntheticMedia {
  /** Well separated colours (RGB) that survive lossy coding. */
  public static final int[][] PALETTE = {
    {230, 30, 30}, {30, 200, 30}, {30, 30, 230}, {230, 230, 30},
    {30, 220, 220}, {220, 30, 220}, {240, 240, 240}, {20, 20, 20},
  };

  /** Tone amplitude. */
  public static final float TONE_AMPLITUDE = 0.5f;

  /** Containers the tests generate. */
  public enum Container {
    MP4_MOOV_AT_END("mp4", true),
    MP4_FASTSTART("mp4", true),
    MP4_FRAGMENTED("mp4", true),
    MPEGTS("mpegts", true),
    MATROSKA("matroska", true),
    WEBM("webm", true),
    WAV("wav", false),
    FLAC("flac", false),
    OGG_OPUS("ogg", false),
    ADTS_AAC("adts", false),
    MP3("mp3", false);

    public final String muxer;
    public final boolean video;

    Container(String muxer, boolean video) {
      this.muxer = muxer;
      this.video = video;
    }
  }

  /** A tone from {@code startSec} to {@code endSec} at {@code hz}. */
  public record Tone(double startSec, double endSec, double hz) {}

  /** What to generate; defaults are small and short. */
  public static final class Spec {
    public Container container = Container.MP4_MOOV_AT_END;
    public int width = 96;
    public int height = 64;
    public int fps = 25;
    public double durationSec = 1.0;
    public int sampleRate = 44_100;
    public int channels = 2;
    public boolean audio = true;
    public boolean video = true;
    public int gopFrames = 25;
    /**
     * FFmpeg codec id of the video; H.264 (OpenH264) by default. OpenH264 adds keyframes of its
     * own on scene changes; MPEG-4 part 2 keeps exactly {@link #gopFrames}.
     */
    public int videoCodec = AV_CODEC_ID_H264;
    /** B-frames between reference frames (MPEG-4 part 2 only; OpenH264 has none). */
    public int bFrames;
    public final List<Tone> tones = new ArrayList<>();
    /** Palette index of each frame: {@code colourOf(frame)}; default cycles the palette. */
    public java.util.function.IntUnaryOperator colourOf = i -> i % PALETTE.length;

    public Spec container(Container c) {
      container = c;
      video = video && c.video;
      if (c == Container.OGG_OPUS || c == Container.WEBM) {
        sampleRate = 48_000; // Opus runs at 48 kHz
      }
      return this;
    }

    public Spec size(int w, int h) {
      width = w;
      height = h;
      return this;
    }

    public Spec fps(int f) {
      fps = f;
      gopFrames = f;
      return this;
    }

    public Spec duration(double seconds) {
      durationSec = seconds;
      return this;
    }

    public Spec sampleRate(int rate) {
      sampleRate = rate;
      return this;
    }

    public Spec channels(int n) {
      channels = n;
      return this;
    }

    public Spec tone(double startSec, double endSec, double hz) {
      tones.add(new Tone(startSec, endSec, hz));
      return this;
    }

    public Spec noAudio() {
      audio = false;
      return this;
    }

    public Spec noVideo() {
      video = false;
      return this;
    }

    public Spec bFrames(int n) {
      bFrames = n;
      return this;
    }

    public Spec videoCodec(int codecId) {
      videoCodec = codecId;
      return this;
    }

    public Spec gop(int frames) {
      gopFrames = frames;
      return this;
    }

    public Spec colours(java.util.function.IntUnaryOperator paletteIndexOfFrame) {
      colourOf = paletteIndexOfFrame;
      return this;
    }
  }

  private SyntheticMedia() {}

  public static Spec spec() {
    return new Spec();
  }

  /** The expected mono signal value at time {@code t} (before any codec). */
  public static double signalAt(Spec spec, double t) {
    double v = 0;
    for (Tone tone : spec.tones) {
      if (t >= tone.startSec() && t < tone.endSec()) {
        v += TONE_AMPLITUDE * Math.cos(2 * Math.PI * tone.hz() * (t - tone.startSec()));
      }
    }
    return v;
  }

  /** Encodes the media described by {@code spec} into a file under {@code dir}; returns its bytes. */
  public static byte[] generate(Spec spec, Path dir) throws IOException {
    Path file = Files.createTempFile(dir, "synthetic-", "." + spec.container.name().toLowerCase());
    boolean video = spec.video && spec.container.video;
    int channels = spec.audio ? spec.channels : 0;
    FFmpegFrameRecorder recorder =
        video
            ? new FFmpegFrameRecorder(file.toFile(), spec.width, spec.height, channels)
            : new FFmpegFrameRecorder(file.toFile(), channels);
    try {
      recorder.setFormat(spec.container.muxer);
      configure(recorder, spec, video);
      recorder.start();
      write(recorder, spec, video);
      recorder.stop();
    } finally {
      recorder.release();
    }
    byte[] bytes = Files.readAllBytes(file);
    Files.delete(file);
    return bytes;
  }

  private static void configure(FFmpegFrameRecorder r, Spec spec, boolean video) {
    if (video) {
      r.setFrameRate(spec.fps);
      r.setGopSize(spec.gopFrames);
      r.setPixelFormat(AV_PIX_FMT_YUV420P);
      r.setVideoBitrate(400_000);
      if (spec.container == Container.WEBM) {
        r.setVideoCodec(AV_CODEC_ID_VP8);
        r.setVideoOption("deadline", "realtime");
        r.setVideoOption("cpu-used", "8");
      } else {
        r.setVideoCodec(spec.videoCodec);
        if (spec.videoCodec == AV_CODEC_ID_MPEG4) {
          r.setVideoOption("sc_threshold", "1000000000"); // no scene-change keyframes: exact GOPs
          r.setVideoOption("bf", Integer.toString(spec.bFrames));
        }
      }
    }
    if (spec.audio) {
      r.setSampleRate(spec.sampleRate);
      r.setAudioChannels(spec.channels);
      r.setAudioBitrate(128_000);
      switch (spec.container) {
        case WAV -> r.setAudioCodec(AV_CODEC_ID_PCM_S16LE);
        case FLAC -> r.setAudioCodec(AV_CODEC_ID_FLAC);
        case OGG_OPUS, WEBM -> r.setAudioCodec(AV_CODEC_ID_OPUS);
        case MP3 -> r.setAudioCodec(AV_CODEC_ID_MP3);
        case MATROSKA -> r.setAudioCodec(AV_CODEC_ID_FLAC);
        default -> r.setAudioCodec(AV_CODEC_ID_AAC);
      }
    }
    switch (spec.container) {
      case MP4_FASTSTART -> r.setOption("movflags", "+faststart");
      case MP4_FRAGMENTED -> r.setOption("movflags", "+frag_keyframe+empty_moov+default_base_moof");
      default -> {}
    }
  }

  private static void write(FFmpegFrameRecorder r, Spec spec, boolean video) throws IOException {
    int totalFrames = video ? (int) Math.round(spec.durationSec * spec.fps) : 0;
    long totalSamples = spec.audio ? Math.round(spec.durationSec * spec.sampleRate) : 0;
    Frame image = video ? new Frame(spec.width, spec.height, Frame.DEPTH_UBYTE, 3) : null;
    int block = 1024;
    long samplesWritten = 0;
    int framesWritten = 0;
    try {
      while (framesWritten < totalFrames || samplesWritten < totalSamples) {
        double videoTime = framesWritten < totalFrames ? (double) framesWritten / spec.fps : Double.MAX_VALUE;
        double audioTime = samplesWritten < totalSamples ? (double) samplesWritten / spec.sampleRate : Double.MAX_VALUE;
        if (videoTime <= audioTime) {
          fill(image, PALETTE[spec.colourOf.applyAsInt(framesWritten)]);
          r.setFrameNumber(framesWritten);
          r.record(image);
          framesWritten++;
        } else {
          int n = (int) Math.min(block, totalSamples - samplesWritten);
          FloatBuffer samples = FloatBuffer.allocate(n * spec.channels);
          for (int i = 0; i < n; i++) {
            float v = (float) signalAt(spec, (double) (samplesWritten + i) / spec.sampleRate);
            for (int c = 0; c < spec.channels; c++) {
              samples.put(v);
            }
          }
          samples.flip();
          r.recordSamples(spec.sampleRate, spec.channels, samples);
          samplesWritten += n;
        }
      }
    } finally {
      if (image != null) {
        image.close();
      }
    }
  }

  private static void fill(Frame image, int[] rgb) {
    ByteBuffer buffer = (ByteBuffer) image.image[0];
    int stride = image.imageStride;
    for (int y = 0; y < image.imageHeight; y++) {
      for (int x = 0; x < image.imageWidth; x++) {
        int i = y * stride + 3 * x;
        buffer.put(i, (byte) rgb[2]); // JavaCV images are BGR
        buffer.put(i + 1, (byte) rgb[1]);
        buffer.put(i + 2, (byte) rgb[0]);
      }
    }
  }

  /** The palette entry nearest to an RGB colour. */
  public static int nearestPaletteIndex(double r, double g, double b) {
    int best = -1;
    double bestDistance = Double.MAX_VALUE;
    for (int i = 0; i < PALETTE.length; i++) {
      double dr = r - PALETTE[i][0];
      double dg = g - PALETTE[i][1];
      double db = b - PALETTE[i][2];
      double d = dr * dr + dg * dg + db * db;
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    }
    return best;
  }

  /** Index of the first sample whose magnitude exceeds half the tone amplitude, or -1. */
  public static int onsetIndex(float[] samples, int from) {
    for (int i = Math.max(0, from); i < samples.length; i++) {
      if (Math.abs(samples[i]) > TONE_AMPLITUDE / 2) {
        return i;
      }
    }
    return -1;
  }
}
