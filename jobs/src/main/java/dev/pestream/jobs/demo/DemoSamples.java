package dev.pestream.jobs.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * The demo's sample clips: short MP4 files (H.264 + AAC) with known content — tones at known
 * times and colour changes at known times — so the demo's spans, alerts and tags can be checked
 * by eye against this description.
 */
public final class DemoSamples {
  public static final int SAMPLE_RATE = 48_000;
  public static final int FPS = 10;
  public static final int WIDTH = 160;
  public static final int HEIGHT = 96;

  /** A sine of {@code hz} over [fromSec, toSec). */
  public record Tone(double fromSec, double toSec, double hz) {}

  /** From {@code atSec} on, the picture is the solid colour {@code rgb}. */
  public record Colour(double atSec, String name, int[] rgb) {}

  /** One sample stream: its id, length, tones and colours. */
  public record Clip(String streamId, double seconds, List<Tone> tones, List<Colour> colours) {
    public String describe() {
      StringBuilder sb = new StringBuilder(streamId + " (" + (int) seconds + " s):");
      for (Tone t : tones) {
        sb.append(String.format(java.util.Locale.ROOT, " %.0f Hz tone %.1f-%.1f s;", t.hz(), t.fromSec(), t.toSec()));
      }
      for (Colour c : colours) {
        sb.append(String.format(java.util.Locale.ROOT, " %s from %.1f s;", c.name(), c.atSec()));
      }
      return sb.toString();
    }

    double sampleAt(double t) {
      double v = 0;
      for (Tone tone : tones) {
        if (t >= tone.fromSec() && t < tone.toSec()) {
          v += 0.5 * Math.sin(2 * Math.PI * tone.hz() * (t - tone.fromSec()));
        }
      }
      return v;
    }

    int[] colourAt(double t) {
      int[] rgb = colours.get(0).rgb();
      for (Colour c : colours) {
        if (t >= c.atSec()) {
          rgb = c.rgb();
        }
      }
      return rgb;
    }
  }

  private static final int[] RED = {230, 25, 25};
  private static final int[] BLUE = {25, 25, 230};
  private static final int[] YELLOW = {235, 230, 25};

  private DemoSamples() {}

  /** The two streams the demo ingests when no --input is given. */
  public static List<Clip> defaultClips() {
    return List.of(
        new Clip("street-cam", 20,
            List.of(new Tone(4.0, 6.5, 1000), new Tone(13.0, 16.0, 100)),
            List.of(new Colour(0, "red", RED), new Colour(10, "blue", BLUE))),
        new Clip("lobby-cam", 20,
            List.of(new Tone(14.2, 15.0, 1000)),
            List.of(new Colour(0, "yellow", YELLOW), new Colour(12, "red", RED))));
  }

  /** Writes {@code clip} as {@code dir/<streamId>.mp4} and returns the file. */
  public static Path write(Clip clip, Path dir) throws IOException {
    Path file = dir.resolve(clip.streamId() + ".mp4");
    try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), WIDTH, HEIGHT, 1);
        Frame image = new Frame(WIDTH, HEIGHT, Frame.DEPTH_UBYTE, 3)) {
      recorder.setFormat("mp4");
      recorder.setVideoCodec(avcodec.AV_CODEC_ID_H264);
      recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
      recorder.setFrameRate(FPS);
      recorder.setGopSize(FPS);
      recorder.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
      recorder.setSampleRate(SAMPLE_RATE);
      recorder.setAudioChannels(1);
      recorder.setAudioBitrate(128_000);
      recorder.start();
      int frames = (int) Math.round(clip.seconds() * FPS);
      int samplesPerFrame = SAMPLE_RATE / FPS;
      for (int f = 0; f < frames; f++) {
        double t = (double) f / FPS;
        paint(image, clip.colourAt(t));
        recorder.setFrameNumber(f);
        recorder.record(image);
        FloatBuffer samples = FloatBuffer.allocate(samplesPerFrame);
        for (int i = 0; i < samplesPerFrame; i++) {
          samples.put((float) clip.sampleAt(t + (double) i / SAMPLE_RATE));
        }
        samples.flip();
        recorder.recordSamples(SAMPLE_RATE, 1, samples);
      }
      recorder.stop();
    }
    return file;
  }

  private static void paint(Frame image, int[] rgb) {
    ByteBuffer pixels = (ByteBuffer) image.image[0];
    for (int y = 0; y < HEIGHT; y++) {
      for (int x = 0; x < WIDTH; x++) {
        int i = y * image.imageStride + 3 * x;
        pixels.put(i, (byte) rgb[2]); // JavaCV frames are BGR
        pixels.put(i + 1, (byte) rgb[1]);
        pixels.put(i + 2, (byte) rgb[0]);
      }
    }
  }
}
