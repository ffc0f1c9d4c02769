package dev.pestream.models.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The benchmark bundle (the contract bundle with a ViT-sized frame_encoder with random weights),
 * generated once into the calling module's target/ with the project's Python environment.
 */
public final class BenchBundle {
  private BenchBundle() {}

  public static Path ensure() throws IOException, InterruptedException {
    Path repo = Path.of("..").toAbsolutePath().normalize();
    Path out = Path.of("target", "bench-bundle").toAbsolutePath();
    if (Files.isRegularFile(out.resolve("manifest.json"))) {
      return out;
    }
    String python = exec(repo, List.of("bash", "scripts/python-env.sh")).strip();
    exec(repo, List.of(python.substring(python.lastIndexOf('\n') + 1), "models/contract/generate.py", "bench", "--out",
        out.toString()));
    return out;
  }

  private static String exec(Path dir, List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String stdout = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(command + " failed with exit code " + p.exitValue());
    }
    return stdout;
  }

  /** {@code count} random normalised 3x224x224 frames. */
  static float[][] frames(int count, int size) {
    Random random = new Random(42);
    float[][] frames = new float[count][3 * size * size];
    for (float[] f : frames) {
      for (int i = 0; i < f.length; i++) {
        f[i] = random.nextFloat() * 2 - 1;
      }
    }
    return frames;
  }

  /**
   * Runs {@code callers} threads, each calling its {@code call} (a synchronous model call) in a loop
   * for {@code seconds}; returns completed calls per second.
   */
  static double runCallers(int callers, java.util.function.IntFunction<Runnable> call, int seconds)
      throws InterruptedException {
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
    List<Thread> threads = new java.util.ArrayList<>();
    for (int c = 0; c < callers; c++) {
      Runnable work = call.apply(c);
      threads.add(new Thread(() -> {
        while (running.get()) {
          work.run();
          done.incrementAndGet();
        }
      }));
    }
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    Thread.sleep(seconds * 1000L);
    long count = done.get();
    double elapsed = (System.nanoTime() - start) / 1e9;
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    return count / elapsed;
  }

  static int intArg(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--" + name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }

  static String stringArg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--" + name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
