package dev.pestream.console.bench;

import dev.pestream.console.EmbeddingIndex;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.Modality;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;

/**
 * Indexing rate, search latency (p50/p99 at k = 10), recall@10 against exact search, memory and
 * disk of the console's vector index with N 1024-d vectors (not part of CI):
 *
 * <pre>
 * mvn -o -B -q -pl console -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
 *     -Dmdep.includeScope=test -Dfuzz.skip=true
 * java -Xmx3g -cp console/target/test-classes:console/target/classes:$(cat console/target/bench.classpath) \
 *     dev.pestream.console.bench.IndexBenchmark 1000000     # N; default 200000
 * </pre>
 *
 * Vectors are clustered (1,000 centres plus noise, as window embeddings of many streams are), made
 * from a seed per vector so exact search can regenerate them instead of holding N x 4 KB in memory.
 * The index commits every 10,000 vectors, as the console commits while it follows the topic.
 */
public final class IndexBenchmark {
  private static final int DIM = 1024;
  private static final int CENTRES = 1_000;
  private static final int K = 10;
  private static final int QUERIES = 200;
  private static final int RECALL_QUERIES = 50;

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    float[][] centres = new float[CENTRES][];
    Random random = new Random(42);
    for (int c = 0; c < CENTRES; c++) {
      centres[c] = gaussian(new SplittableRandom(random.nextLong()), 1.0f);
    }
    Path dir = Files.createTempDirectory("pestream-index-bench-");
    TopicPartition tp = new TopicPartition("embeddings", 0);
    try (EmbeddingIndex index = EmbeddingIndex.open(dir, "bench")) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        index.add(embedding(i, vector(centres, i)), tp, i);
        if ((i + 1) % 10_000 == 0) {
          index.commit();
          System.out.printf(Locale.ROOT, "  %,d indexed in %.0f s, %.0f/s%n", i + 1, seconds(start), (i + 1) / seconds(start));
        }
      }
      index.commit();
      double indexSeconds = seconds(start);

      float[][] queries = new float[QUERIES][];
      SplittableRandom q = new SplittableRandom(7);
      for (int i = 0; i < QUERIES; i++) {
        float[] base = centres[q.nextInt(CENTRES)];
        float[] noise = gaussian(q, 0.5f);
        queries[i] = new float[DIM];
        for (int d = 0; d < DIM; d++) {
          queries[i][d] = base[d] + noise[d];
        }
      }
      for (int w = 0; w < 50; w++) {
        index.search(Modality.AUDIO, queries[w % QUERIES], K, null, null, null);
      }
      long[] latencies = new long[QUERIES];
      List<List<EmbeddingIndex.Hit>> found = new ArrayList<>();
      for (int i = 0; i < QUERIES; i++) {
        long t = System.nanoTime();
        found.add(index.search(Modality.AUDIO, queries[i], K, null, null, null));
        latencies[i] = System.nanoTime() - t;
      }
      Arrays.sort(latencies);
      // the page's stream filter: a glob matching 11 of the 50 streams narrows the graph search
      long[] filtered = new long[QUERIES];
      for (int i = 0; i < QUERIES; i++) {
        long t = System.nanoTime();
        index.search(Modality.AUDIO, queries[i], K, "s1*", null, null);
        filtered[i] = System.nanoTime() - t;
      }
      Arrays.sort(filtered);
      double recall = recall(centres, n, queries, found);
      System.gc();
      long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
      System.out.printf(Locale.ROOT, "IndexBenchmark n=%,d dim=%d (%d processors, max heap %d MB)%n", n, DIM,
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
      System.out.printf(Locale.ROOT, "  indexing: %.1f s, %.0f embeddings/s (with commits every 10,000)%n", indexSeconds, n / indexSeconds);
      System.out.printf(Locale.ROOT, "  search k=%d over %d queries: p50 %.2f ms, p99 %.2f ms%n", K, QUERIES,
          latencies[QUERIES / 2] / 1e6, latencies[(int) Math.ceil(QUERIES * 0.99) - 1] / 1e6);
      System.out.printf(Locale.ROOT, "  search k=%d, stream filter s1* (22%% of windows): p50 %.2f ms, p99 %.2f ms%n", K,
          filtered[QUERIES / 2] / 1e6, filtered[(int) Math.ceil(QUERIES * 0.99) - 1] / 1e6);
      System.out.printf(Locale.ROOT, "  recall@%d vs exact (%d queries): %.3f%n", K, RECALL_QUERIES, recall);
      System.out.printf(Locale.ROOT, "  memory: heap used %d MB, process RSS %d MB; disk: %d MB (raw vectors alone: %d MB)%n",
          heap >> 20, rssMb(), size(dir) >> 20, (long) n * DIM * 4 >> 20);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Fraction of the exact top-k (by dot product, scanning every vector) that the index returned. */
  private static double recall(float[][] centres, int n, float[][] queries, List<List<EmbeddingIndex.Hit>> found) {
    List<PriorityQueue<double[]>> best = new ArrayList<>();
    for (int qi = 0; qi < RECALL_QUERIES; qi++) {
      best.add(new PriorityQueue<>(Comparator.comparingDouble(a -> a[0])));
    }
    for (int i = 0; i < n; i++) {
      float[] v = vector(centres, i);
      for (int qi = 0; qi < RECALL_QUERIES; qi++) {
        double dot = 0;
        float[] query = queries[qi];
        for (int d = 0; d < DIM; d++) {
          dot += v[d] * query[d];
        }
        PriorityQueue<double[]> top = best.get(qi);
        if (top.size() < K) {
          top.add(new double[] {dot, i});
        } else if (dot > top.peek()[0]) {
          top.poll();
          top.add(new double[] {dot, i});
        }
      }
    }
    int hits = 0;
    for (int qi = 0; qi < RECALL_QUERIES; qi++) {
      Set<Long> exact = new HashSet<>();
      best.get(qi).forEach(a -> exact.add((long) a[1]));
      for (EmbeddingIndex.Hit h : found.get(qi)) {
        if (exact.contains(h.windowStartUs())) {
          hits++;
        }
      }
    }
    return hits / (double) (RECALL_QUERIES * K);
  }

  private static float[] vector(float[][] centres, int i) {
    SplittableRandom r = new SplittableRandom(1_000_003L * i + 17);
    float[] v = gaussian(r, 0.5f);
    float[] c = centres[r.nextInt(CENTRES)];
    for (int d = 0; d < DIM; d++) {
      v[d] += c[d];
    }
    return v;
  }

  private static float[] gaussian(SplittableRandom r, float sigma) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      // sum of uniforms: a cheap near-gaussian with the given standard deviation
      v[d] = (float) ((r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 2 * sigma);
    }
    return v;
  }

  /** Window start = the vector's number, so a hit names its vector. */
  private static Embedding embedding(int i, float[] v) {
    List<Float> values = new ArrayList<>(DIM);
    for (float x : v) {
      values.add(x);
    }
    return Embedding.newBuilder().setStreamId("s" + (i % 50)).setWindowStartUs(i).setWindowEndUs(i + 1)
        .setModality(Modality.AUDIO).setModelId("bench").setModelVersion("1").setDim(DIM).setVector(values)
        .setTruncated(false).setFrameCount(1).build();
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static long rssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
      }
    }
    return -1;
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private IndexBenchmark() {}
}
