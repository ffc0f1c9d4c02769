package dev.pestream.models.bench;

import dev.pestream.models.Models;
import dev.pestream.models.metrics.BatchEvent;
import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.BatchingOptions;
import dev.pestream.models.runtime.ExecutionProvider;
import dev.pestream.models.runtime.RuntimeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batching gain: throughput and p99 queue wait with {@code max_batch} 1, 8 and 32 under N
 * concurrent callers (each a thread doing synchronous single-item calls, like N operator
 * instances). Graphs: {@code bench} = the ViT-sized frame_encoder (compute-bound), {@code contract}
 * = the contract audio_encoder on 50-frame windows (light: per-call overhead dominates).
 *
 * <pre>mvn -B -q -pl models test-compile exec:exec -Dbench=BatchingGainBenchmark \
 *     -Dbench.args="--graph bench --callers 32 --threads 2 --seconds 8"</pre>
 */
public final class BatchingGainBenchmark {
  public static void main(String[] args) throws Exception {
    String graph = BenchBundle.stringArg(args, "graph", "bench");
    int callers = BenchBundle.intArg(args, "callers", 32);
    int threads = BenchBundle.intArg(args, "threads", 2);
    int seconds = BenchBundle.intArg(args, "seconds", 8);
    int maxWaitMs = BenchBundle.intArg(args, "max-wait-ms", 5);
    boolean bench = graph.equals("bench");
    Path bundle = bench ? BenchBundle.ensure() : Path.of("bundles", "contract").toAbsolutePath();
    String graphName = bench ? "frame_encoder" : "audio_encoder";
    float[][] frames = bench ? BenchBundle.frames(callers, 224) : null;
    float[][] window = new float[50][128];
    for (float[] row : window) {
      Arrays.fill(row, 0.1f);
    }

    double baseline = 0;
    for (int maxBatch : new int[] {1, 8, 32}) {
      RuntimeOptions options = RuntimeOptions.builder().providers(ExecutionProvider.CPU).intraOpThreads(threads)
          .graphs(graphName).batching(new BatchingOptions(maxBatch, Duration.ofMillis(maxWaitMs), 4 * callers, 1)).build();
      try (Models models = Models.open(bundle, options)) {
        BatchedSession session = models.session(graphName);
        Runnable call = bench ? null : () -> models.audioEncoder().embed(window);
        run(models, frames, call, callers, 2); // warm-up
        List<Long> waits = java.util.Collections.synchronizedList(new ArrayList<>());
        session.addListener((BatchEvent e) -> {
          for (long w : e.queueWaitNanos()) {
            waits.add(w);
          }
        });
        double throughput = run(models, frames, call, callers, seconds);
        long[] sorted = waits.stream().mapToLong(Long::longValue).sorted().toArray();
        double p99 = sorted.length == 0 ? 0 : sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6;
        double p50 = sorted.length == 0 ? 0 : sorted[sorted.length / 2] / 1e6;
        if (maxBatch == 1) {
          baseline = throughput;
        }
        System.out.printf("RESULT %s graph=%s callers=%d intraOpThreads=%d max_batch=%2d max_wait=%dms: %.1f items/s "
                + "(x%.2f vs max_batch 1), mean batch %.1f, queue wait p50 %.2f ms p99 %.2f ms%n",
            bench ? "bench" : "contract", graphName, callers, threads, maxBatch, maxWaitMs, throughput,
            throughput / baseline, session.metrics().batchSize().getStatistics().getMean(), p50, p99);
      }
    }
  }

  private static double run(Models models, float[][] frames, Runnable call, int callers, int seconds) throws Exception {
    return BenchBundle.runCallers(callers,
        c -> frames == null ? call : () -> models.frameEncoder().encode(frames[c]), seconds);
  }
}
