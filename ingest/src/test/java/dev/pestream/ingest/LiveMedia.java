package dev.pestream.ingest;

import dev.pestream.operators.decode.AudioClock;
import dev.pestream.operators.decode.DecodedChunk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test media made with the ffmpeg program, and the markers read back from decoded chunks. */
final class LiveMedia {
  /** FFmpeg expression: true over [4k, 4k + 1) s for k >= 1, when the clip is red and the tone sounds. */
  static final String MARKED = "gte(t\\,2)*lt(mod(t\\,4)\\,1)";

  /** Silence this long before a tone onset counts (AAC's pre-echo stays far below the threshold). */
  private static final long QUIET_SAMPLES = AudioClock.SAMPLE_RATE / 4;

  private LiveMedia() {}

  /** Runs {@code ffmpeg -y ARGS} (Debian's program) and fails with its output if it fails. */
  static void ffmpeg(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "ffmpeg-", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("ffmpeg did not finish in 120 s: " + command);
    }
    if (p.exitValue() != 0) {
      throw new IOException("ffmpeg failed (" + p.exitValue() + "): " + command + "\n" + Files.readString(log));
    }
  }

  /**
   * One connection's decoded chunks as a timeline: where the red marker starts, where the tone
   * starts, and which stretches of the stream clock have audio and video at all (a live source
   * joined mid-way may start its audio and video at different moments).
   */
  static final class Timeline {
    private final List<long[]> audioRanges = new ArrayList<>(); // contiguous [first, end) sample ranges
    private final List<float[]> audio = new ArrayList<>();
    private final List<Long> framesUs = new ArrayList<>();
    private final List<Boolean> red = new ArrayList<>();
    private final long frameUs;

    Timeline(List<DecodedChunk> chunks, long frameUs) {
      this.frameUs = frameUs;
      for (DecodedChunk d : chunks) {
        if (d.hasAudio()) {
          long[] last = audioRanges.isEmpty() ? null : audioRanges.get(audioRanges.size() - 1);
          if (last != null && last[1] == d.audioStartSample) {
            float[] joined = java.util.Arrays.copyOf(audio.get(audio.size() - 1), (int) (d.audioEndSample() - last[0]));
            System.arraycopy(d.audio, 0, joined, (int) (d.audioStartSample - last[0]), d.audio.length);
            audio.set(audio.size() - 1, joined);
            last[1] = d.audioEndSample();
          } else {
            audioRanges.add(new long[] {d.audioStartSample, d.audioEndSample()});
            audio.add(d.audio.clone());
          }
        }
        for (int f = 0; f < d.frameCount(); f++) {
          framesUs.add(d.framePtsUs[f]);
          red.add(isRed(d, f));
        }
      }
    }

    /** Splits chunks at each discontinuity: one timeline per connection. */
    static List<Timeline> perConnection(List<DecodedChunk> chunks, long frameUs) {
      List<Timeline> out = new ArrayList<>();
      List<DecodedChunk> current = new ArrayList<>();
      for (DecodedChunk d : chunks) {
        if (d.gapBefore && !current.isEmpty()) {
          out.add(new Timeline(current, frameUs));
          current = new ArrayList<>();
        }
        current.add(d);
      }
      if (!current.isEmpty()) {
        out.add(new Timeline(current, frameUs));
      }
      return out;
    }

    /** Times of frames that turn red right after a blue frame. */
    List<Long> markerOnsetsUs() {
      List<Long> onsets = new ArrayList<>();
      for (int i = 1; i < framesUs.size(); i++) {
        if (red.get(i) && !red.get(i - 1) && framesUs.get(i) - framesUs.get(i - 1) <= 2 * frameUs) {
          onsets.add(framesUs.get(i));
        }
      }
      return onsets;
    }

    /** Times where the tone starts after at least a quarter second of silence. */
    List<Long> toneOnsetsUs() {
      List<Long> onsets = new ArrayList<>();
      for (int r = 0; r < audioRanges.size(); r++) {
        float[] samples = audio.get(r);
        long quiet = 0;
        for (int i = 0; i < samples.length; i++) {
          float v = Math.abs(samples[i]);
          if (v > 0.25f) {
            if (quiet >= QUIET_SAMPLES) {
              onsets.add(AudioClock.timeUsOf(audioRanges.get(r)[0] + i));
            }
            quiet = 0;
          } else if (v < 0.05f) {
            quiet++;
          }
        }
      }
      return onsets;
    }

    /** Whether audio covers the whole stretch [fromUs, toUs) without a hole. */
    boolean hasAudio(long fromUs, long toUs) {
      long from = fromUs * AudioClock.SAMPLE_RATE / 1_000_000;
      long to = toUs * AudioClock.SAMPLE_RATE / 1_000_000;
      return audioRanges.stream().anyMatch(range -> range[0] <= from && to <= range[1]);
    }

    /** Whether pictures cover [fromUs, toUs) with no hole longer than two frames. */
    boolean hasVideo(long fromUs, long toUs) {
      int first = -1;
      for (int i = 0; i < framesUs.size(); i++) {
        if (framesUs.get(i) <= fromUs) {
          first = i;
        }
      }
      if (first < 0) {
        return false;
      }
      for (int i = first + 1; i < framesUs.size(); i++) {
        if (framesUs.get(i) - framesUs.get(i - 1) > 2 * frameUs) {
          return false;
        }
        if (framesUs.get(i) >= toUs) {
          return true;
        }
      }
      return false;
    }
  }

  /** Whether frame {@code f} is mostly red (else blue). */
  static boolean isRed(DecodedChunk d, int f) {
    int plane = d.imageSize * d.imageSize;
    double red = 0;
    double blue = 0;
    for (int i = 0; i < plane; i++) {
      red += d.pixels[d.frameOffset(f) + i];
      blue += d.pixels[d.frameOffset(f) + 2 * plane + i];
    }
    return red > blue;
  }
}
