package dev.pestream.models.runtime;

import java.util.Map;

/**
 * One request's outputs: its row of every graph output, without the batch dimension. Symbolic
 * output dimensions have the batch's padded size; the caller trims to its own length.
 */
public final class ItemResult {
  private final Map<String, float[]> values;
  private final Map<String, long[]> shapes;
  private final int batchSize;

  ItemResult(Map<String, float[]> values, Map<String, long[]> shapes, int batchSize) {
    this.values = values;
    this.shapes = shapes;
    this.batchSize = batchSize;
  }

  public float[] get(String output) {
    float[] v = values.get(output);
    if (v == null) {
      throw new IllegalArgumentException("no output '" + output + "' (outputs: " + values.keySet() + ")");
    }
    return v;
  }

  public java.util.Set<String> outputNames() {
    return values.keySet();
  }

  /** The item's shape of {@code output} (padded), without the batch dimension. */
  public long[] shape(String output) {
    return shapes.get(output).clone();
  }

  /** How many requests ran together in this request's batch. */
  public int batchSize() {
    return batchSize;
  }
}
