package dev.pestream.models.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pestream.models.Models;
import dev.pestream.models.bundle.ModelBundle;
import dev.pestream.models.runtime.BatchingOptions;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Our batcher + shared session vs a plain {@code OrtSession.run} loop on the same graph, batch size
 * and ONNX Runtime threads. The plain loop is the best hand-written equivalent: it stacks the items
 * into one reused direct buffer, runs, and copies each item's output row out. Ours: single-item
 * requests from {@code 2 x batch} caller threads, batched by the session's batcher. Each round
 * measures both sides in ABBA order (plain, ours, ours, plain) so load drift on a shared machine
 * cancels; the median of the per-round ratios is the result. Goal: ratio >= 0.98.
 *
 * <pre>mvn -B -q -pl models test-compile exec:exec -Dbench=BatcherOverheadBenchmark \
 *     -Dbench.args="--batch 8 --threads 2 --seconds 8 --rounds 3"</pre>
 */
public final class BatcherOverheadBenchmark {
  public static void main(String[] args) throws Exception {
    int batch = BenchBundle.intArg(args, "batch", 8);
    int threads = BenchBundle.intArg(args, "threads", 2);
    int seconds = BenchBundle.intArg(args, "seconds", 2);
    int rounds = BenchBundle.intArg(args, "rounds", 8);
    Path bundleDir = BenchBundle.ensure();
    ModelBundle bundle = ModelBundle.load(bundleDir);
    int size = bundle.manifest().video().imageSize();
    float[][] frames = BenchBundle.frames(batch * 2, size);

    RuntimeOptions options = RuntimeOptions.builder().providers(ExecutionProvider.CPU).intraOpThreads(threads)
        .batching(new BatchingOptions(batch, Duration.ofMillis(20), 4 * batch, 1)).build();
    double[] plain = new double[rounds];
    double[] ours = new double[rounds];
    double[] ratios = new double[rounds];
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setIntraOpNumThreads(threads);
      try (OrtSession session = dev.pestream.models.runtime.OrtRuntime.environment().createSession(bundle.graphFile("frame_encoder").toString(), so);
           Models models = Models.open(bundleDir, options)) {
        plainLoop(session, frames, batch, 2); // warm-up
        ourLoop(models, frames, batch, 2);
        for (int r = 0; r < rounds; r++) {
          double plainA = plainLoop(session, frames, batch, seconds);
          double oursA = ourLoop(models, frames, batch, seconds);
          double oursB = ourLoop(models, frames, batch, seconds);
          double plainB = plainLoop(session, frames, batch, seconds);
          plain[r] = (plainA + plainB) / 2;
          ours[r] = (oursA + oursB) / 2;
          ratios[r] = ours[r] / plain[r];
          System.out.printf("round %d: plain %.1f items/s, ours %.1f items/s, ratio %.3f%n", r + 1, plain[r], ours[r],
              ratios[r]);
        }
        var stats = models.session("frame_encoder").metrics().batchSize().getStatistics();
        System.out.printf("our batch sizes: mean %.2f, min %d%n", stats.getMean(), stats.getMin());
      }
    }
    System.out.printf("RESULT frame_encoder (bench graph) batch=%d intraOpThreads=%d rounds=%d: plain %.1f items/s, "
            + "batcher %.1f items/s (medians), median per-round ratio %.3f (goal >= 0.98)%n", batch, threads, rounds,
        BenchBundle.median(plain), BenchBundle.median(ours), BenchBundle.median(ratios));
  }

  private static double plainLoop(OrtSession session, float[][] frames, int batch, int seconds) throws Exception {
    OrtEnvironment env = dev.pestream.models.runtime.OrtRuntime.environment();
    int item = frames[0].length;
    String input = session.getInputNames().iterator().next();
    ByteBuffer buffer = ByteBuffer.allocateDirect(batch * item * Float.BYTES).order(ByteOrder.nativeOrder());
    long[] shape = {batch, 3, 224, 224};
    long items = 0;
    int next = 0;
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long start = System.nanoTime();
    while (System.nanoTime() < end) {
      FloatBuffer fb = buffer.asFloatBuffer();
      for (int i = 0; i < batch; i++) {
        fb.put(i * item, frames[next++ % frames.length]);
      }
      try (OnnxTensor tensor = OnnxTensor.createTensor(env, buffer.asFloatBuffer(), shape);
           OrtSession.Result result = session.run(Map.of(input, tensor))) {
        FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
        int row = out.remaining() / batch;
        for (int i = 0; i < batch; i++) {
          float[] copy = new float[row];
          out.get(i * row, copy);
        }
      }
      items += batch;
    }
    return items / ((System.nanoTime() - start) / 1e9);
  }

  private static double ourLoop(Models models, float[][] frames, int batch, int seconds) throws Exception {
    return BenchBundle.runCallers(2 * batch, c -> () -> models.frameEncoder().encode(frames[c % frames.length]), seconds);
  }
}
