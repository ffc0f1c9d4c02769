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
  /** Where the item starts in {@code data}: an item may be a slice of a larger array (no copy). */
  private final int offset;
  private final int elements;

  private ItemTensor(TensorType dtype, long[] shape, Object data, int length) {
    this(dtype, shape, data, 0, length, length);
  }

  private ItemTensor(TensorType dtype, long[] shape, Object data, int offset, int length, int available) {
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
    if (offset < 0 || offset + (long) length > available) {
      throw new IllegalArgumentException("elements " + offset + ".." + (offset + (long) length) + " are outside an array of "
          + available);
    }
    this.dtype = dtype;
    this.shape = shape.clone();
    this.data = data;
    this.offset = offset;
    this.elements = length;
  }

  public static ItemTensor floats(float[] data, long... shape) {
    return new ItemTensor(TensorType.FLOAT32, shape, data, data.length);
  }

  /**
   * The {@code shape}-sized slice of {@code data} from element {@code offset}, without copying:
   * {@code data} must not change until the request's result is in.
   */
  public static ItemTensor floatSlice(float[] data, int offset, long... shape) {
    long count = 1;
    for (long d : shape) {
      count *= Math.max(0, d);
    }
    return new ItemTensor(TensorType.FLOAT32, shape, data, offset, (int) Math.min(count, Integer.MAX_VALUE), data.length);
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

  int offset() {
    return offset;
  }
}
