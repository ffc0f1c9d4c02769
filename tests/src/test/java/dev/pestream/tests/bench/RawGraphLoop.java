package dev.pestream.tests.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pestream.operators.decode.DecodedChunk;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline of the end-to-end benchmark: the same graphs the job runs, called through plain
 * {@code OrtSession.run} in a loop, one item at a time, on already decoded chunks — no Flink, no
 * Kafka, no batching, no state.
 */
final class RawGraphLoop implements AutoCloseable {
  private static final int HOP = 1920;
  private static final int FRAMES_PER_WINDOW = 250;
  private static final int FRAMES_PER_HOP = 50;

  private final OrtEnvironment env = dev.pestream.models.runtime.OrtRuntime.environment();
  private final Map<String, OrtSession> sessions = new HashMap<>();
  private final float[] promptEmbedding;

  RawGraphLoop(Path bundle, int threads) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      for (String graph : List.of("audio_codec", "frame_encoder", "audio_encoder", "video_encoder", "av_encoder",
          "frame_level_audio")) {
        sessions.put(graph, env.createSession(bundle.resolve(graph + ".onnx").toString(), options));
      }
    }
    promptEmbedding = new float[1024];
    promptEmbedding[0] = 1;
  }

  /** One stream's chunks in order: codec, frame encoder, PE-A-Frame scoring, then 10 s / 2 s windows. */
  double runStream(List<DecodedChunk> chunks) throws OrtException {
    double checksum = 0;
    float[][] audioFeatures = new float[0][];
    float[][] frameFeatures = new float[0][];
    for (DecodedChunk c : chunks) {
      int usable = c.audio.length / HOP * HOP;
      float[][] codec = run("audio_codec", Map.of("waveform", floats(Arrays.copyOf(c.audio, usable), 1, 1, usable)));
      float[][] perFrame = run("frame_level_audio", Map.of("audio_features", floats(flat(codec), 1, codec.length, 128),
          "audio_mask", mask(codec.length)));
      for (float[] e : perFrame) {
        for (int i = 0; i < e.length; i++) {
          checksum += e[i] * promptEmbedding[i];
        }
      }
      audioFeatures = concat(audioFeatures, codec);
      for (int f = 0; f < c.frameCount(); f++) {
        float[] pixels = Arrays.copyOfRange(c.pixels, c.frameOffset(f), c.frameOffset(f) + c.frameFloats());
        float[][] features = run("frame_encoder", Map.of("pixel_values", floats(pixels, 1, 3, c.imageSize, c.imageSize)));
        frameFeatures = concat(frameFeatures, new float[][] {features[0]});
      }
    }
    int fps = chunks.get(0).frameCount();
    for (int start = 0; start + FRAMES_PER_WINDOW <= audioFeatures.length; start += FRAMES_PER_HOP) {
      float[][] audio = Arrays.copyOfRange(audioFeatures, start, start + FRAMES_PER_WINDOW);
      int firstFrame = start / 25 * fps;
      float[][] video = Arrays.copyOfRange(frameFeatures, firstFrame, Math.min(frameFeatures.length, firstFrame + 10 * fps));
      run("audio_encoder", Map.of("audio_features", floats(flat(audio), 1, audio.length, 128), "audio_mask", mask(audio.length)));
      run("video_encoder", Map.of("frame_features", floats(flat(video), 1, video.length, 1024), "video_mask", mask(video.length)));
      run("av_encoder", Map.of("audio_features", floats(flat(audio), 1, audio.length, 128), "audio_mask", mask(audio.length),
          "frame_features", floats(flat(video), 1, video.length, 1024), "video_mask", mask(video.length)));
    }
    return checksum;
  }

  private float[][] run(String graph, Map<String, OnnxTensor> inputs) throws OrtException {
    try (OrtSession.Result result = sessions.get(graph).run(inputs)) {
      Object value = result.get(0).getValue();
      return value instanceof float[][][] batch ? batch[0] : (float[][]) value;
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor floats(float[] data, long... shape) throws OrtException {
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
  }

  private OnnxTensor mask(int n) throws OrtException {
    boolean[][] m = new boolean[1][n];
    Arrays.fill(m[0], true);
    return OnnxTensor.createTensor(env, m);
  }

  private static float[] flat(float[][] rows) {
    int width = rows.length == 0 ? 0 : rows[0].length;
    float[] out = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * width, width);
    }
    return out;
  }

  private static float[][] concat(float[][] a, float[][] b) {
    float[][] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public void close() throws OrtException {
    for (OrtSession s : sessions.values()) {
      s.close();
    }
  }
}
