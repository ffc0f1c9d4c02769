package dev.pestream.models.metrics;

import java.util.Arrays;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;

/** A thread-safe Flink histogram over the last {@code size} values (a ring buffer; no extra dependency). */
public final class WindowHistogram implements Histogram {
  private final long[] ring;
  private long count;

  public WindowHistogram(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("histogram window must be >= 1");
    }
    this.ring = new long[size];
  }

  @Override
  public synchronized void update(long value) {
    ring[(int) (count % ring.length)] = value;
    count++;
  }

  @Override
  public synchronized long getCount() {
    return count;
  }

  @Override
  public HistogramStatistics getStatistics() {
    long[] values;
    synchronized (this) {
      values = Arrays.copyOf(ring, (int) Math.min(count, ring.length));
    }
    Arrays.sort(values);
    return new Snapshot(values);
  }

  /** Statistics of a sorted copy of the window. */
  static final class Snapshot extends HistogramStatistics {
    private final long[] sorted;

    Snapshot(long[] sorted) {
      this.sorted = sorted;
    }

    @Override
    public double getQuantile(double quantile) {
      if (sorted.length == 0) {
        return 0;
      }
      int index = (int) Math.ceil(quantile * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    @Override
    public long[] getValues() {
      return sorted.clone();
    }

    @Override
    public int size() {
      return sorted.length;
    }

    @Override
    public double getMean() {
      return sorted.length == 0 ? 0 : Arrays.stream(sorted).average().orElse(0);
    }

    @Override
    public double getStdDev() {
      if (sorted.length < 2) {
        return 0;
      }
      double mean = getMean();
      double sum = 0;
      for (long v : sorted) {
        sum += (v - mean) * (v - mean);
      }
      return Math.sqrt(sum / (sorted.length - 1));
    }

    @Override
    public long getMax() {
      return sorted.length == 0 ? 0 : sorted[sorted.length - 1];
    }

    @Override
    public long getMin() {
      return sorted.length == 0 ? 0 : sorted[0];
    }
  }
}
