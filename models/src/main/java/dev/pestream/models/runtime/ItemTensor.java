package dev.pestream.models.runtime;

import dev.pestream.models.bundle.TensorType;
import java.util.Arrays;

/**
 * One request's value for one graph input, without the batch dimension: e.g. audio features of
 * shape {@code [frames, 128]}. The batcher stacks items into {@code [batch, ...]}, padding symbolic
 * dimensions with zeros / false to the longest item.
 */
public final class ItemTensor {
  private final TensorType dtype;
  private final long[] shape;
  private final Object data;
  private final int elements;

  private ItemTensor(TensorType dtype, long[] shape, Object data, int length) {
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      count *= d;
    }
    if (count != length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count + " elements, the data has "
          + length);
    }
    this.dtype = dtype;
    this.shape = shape.clone();
    this.data = data;
    this.elements = length;
  }

  public static ItemTensor floats(float[] data, long... shape) {
    return new ItemTensor(TensorType.FLOAT32, shape, data, data.length);
  }

  public static ItemTensor longs(long[] data, long... shape) {
    return new ItemTensor(TensorType.INT64, shape, data, data.length);
  }

  public static ItemTensor booleans(boolean[] data, long... shape) {
    return new ItemTensor(TensorType.BOOL, shape, data, data.length);
  }

  /** A mask of {@code length} true values (every position real). */
  public static ItemTensor fullMask(int length) {
    boolean[] mask = new boolean[length];
    Arrays.fill(mask, true);
    return booleans(mask, length);
  }

  public TensorType dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }

  long dim(int i) {
    return shape[i];
  }

  int rank() {
    return shape.length;
  }

  int elements() {
    return elements;
  }

  Object data() {
    return data;
  }
}
