package dev.pestream.models.tiny;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The exporter's CI fixture: {@code models/bundles/tiny-random} (a random-init export of the real
 * PE-AV + PE-A-Frame architecture) and {@code models/fixtures/tiny-random-pytorch.json} (PyTorch's
 * outputs for closed-form inputs), both written by {@code python -m pestream_export fixture}.
 * The inputs are regenerated here with the same formulas as models/export/pestream_export/fixture.py.
 */
final class TinyRandomFixture {
  private TinyRandomFixture() {}

  /** Tests run with the module folder as working directory. */
  static Path bundleDir() {
    return existing(Path.of("bundles", "tiny-random", "manifest.json")).getParent();
  }

  static JsonNode reference() {
    try {
      return new ObjectMapper().readTree(existing(Path.of("fixtures", "tiny-random-pytorch.json")).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path existing(Path path) {
    Path absolute = path.toAbsolutePath();
    if (!Files.isRegularFile(absolute)) {
      throw new IllegalStateException("exporter fixture not found at " + absolute);
    }
    return absolute;
  }

  /** fixture.py waveform(): two sines and an amplitude-modulated tone, float32. */
  static float[] waveform(int clip, int frames, int hop, int sampleRate) {
    float[] out = new float[frames * hop];
    for (int i = 0; i < out.length; i++) {
      double n = i;
      out[i] = (float) (0.3 * Math.sin(2 * Math.PI * (220 + 110 * clip) * n / sampleRate)
          + 0.2 * Math.sin(2 * Math.PI * 3 * n / sampleRate + clip) * Math.sin(2 * Math.PI * 1234.5 * n / sampleRate));
    }
    return out;
  }

  /** fixture.py pixels(): one frame's normalised pixel values, CHW. */
  static float[] pixels(int clip, int frame, int size) {
    float[] out = new float[3 * size * size];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          out[(c * size + y) * size + x] = (float) Math.sin(0.37 * x + 0.23 * (c + 1) * y + 0.5 * frame + clip);
        }
      }
    }
    return out;
  }

  static float[] vector(JsonNode node) {
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) node.get(i).asDouble();
    }
    return out;
  }

  static float[][] matrix(JsonNode node) {
    float[][] out = new float[node.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = vector(node.get(i));
    }
    return out;
  }

  static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("lengths " + a.length + " and " + b.length);
    }
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  /** Cosine of two matrices flattened (same row count required). */
  static double cosine(float[][] a, float[][] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("rows " + a.length + " and " + b.length);
    }
    return cosine(flatten(a), flatten(b));
  }

  static float[] flatten(float[][] rows) {
    int total = 0;
    for (float[] row : rows) {
      total += row.length;
    }
    float[] out = new float[total];
    int at = 0;
    for (float[] row : rows) {
      System.arraycopy(row, 0, out, at, row.length);
      at += row.length;
    }
    return out;
  }

  static double maxAbs(float[][] rows) {
    double max = 0;
    for (float[] row : rows) {
      for (float v : row) {
        max = Math.max(max, Math.abs(v));
      }
    }
    return max;
  }

  static double maxAbsDifference(float[][] a, float[][] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return max;
  }
}
