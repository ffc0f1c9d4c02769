package dev.pestream.models;

import dev.pestream.models.runtime.BatchedSession;
import dev.pestream.models.runtime.ItemResult;
import dev.pestream.models.runtime.ItemTensor;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Shared plumbing of the typed role clients: submit to the graph's shared session, reshape rows. */
abstract class RoleClient {
  protected final BatchedSession session;

  RoleClient(BatchedSession session) {
    this.session = session;
  }

  /** The shared batched session this client submits to (metrics, provider, listeners). */
  public BatchedSession session() {
    return session;
  }

  protected CompletableFuture<ItemResult> submit(Map<String, ItemTensor> inputs) {
    return session.submit(inputs);
  }

  /** Flattens {@code rows} of exactly {@code width} values each; rejects empty input. */
  protected static float[] flatten(float[][] rows, int width, String what) {
    if (rows.length == 0) {
      throw new IllegalArgumentException(what + ": no rows");
    }
    float[] flat = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != width) {
        throw new IllegalArgumentException(what + ": row " + i + " has " + rows[i].length + " values, expected " + width);
      }
      System.arraycopy(rows[i], 0, flat, i * width, width);
    }
    return flat;
  }

  /** The first {@code count} rows of {@code width} values from a flat (possibly padded) output row. */
  protected static float[][] rows(float[] flat, int count, int width) {
    float[][] rows = new float[count][];
    for (int i = 0; i < count; i++) {
      rows[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }
    return rows;
  }
}
