package dev.pestream.models.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.pestream.models.bundle.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Stacks request items into batch tensors, padding each symbolic dimension to the batch maximum
 * with zeros (false for masks). Reuses one direct buffer per input, so ONNX Runtime reads the
 * tensors without another copy and steady state allocates no native memory. One per worker thread.
 */
final class Collator {
  private final Map<String, ByteBuffer> buffers = new HashMap<>();

  /** The batch tensor of one input; the caller closes it (the buffer stays owned here). */
  OnnxTensor tensor(OrtEnvironment env, String input, TensorType dtype, List<ItemTensor> items) throws OrtException {
    int rank = items.get(0).rank();
    long[] itemShape = new long[rank];
    boolean uniform = true;
    for (ItemTensor item : items) {
      for (int d = 0; d < rank; d++) {
        if (item.dim(d) != items.get(0).dim(d)) {
          uniform = false;
        }
        itemShape[d] = Math.max(itemShape[d], item.dim(d));
      }
    }
    int itemElements = Math.toIntExact(product(itemShape, 0));
    int total = Math.multiplyExact(itemElements, items.size());
    int bytes = Math.multiplyExact(total, dtype.bytesPerElement());
    ByteBuffer buffer = buffer(input, bytes);
    if (!uniform) {
      zero(buffer, bytes);
    }
    for (int i = 0; i < items.size(); i++) {
      copy(items.get(i), itemShape, buffer, i * itemElements);
    }
    long[] shape = new long[rank + 1];
    shape[0] = items.size();
    System.arraycopy(itemShape, 0, shape, 1, rank);
    ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
    view.position(0).limit(bytes);
    return switch (dtype) {
      case FLOAT32 -> OnnxTensor.createTensor(env, view.asFloatBuffer(), shape);
      case INT64 -> OnnxTensor.createTensor(env, view.asLongBuffer(), shape);
      case BOOL -> OnnxTensor.createTensor(env, view, shape, OnnxJavaType.BOOL);
    };
  }

  private ByteBuffer buffer(String input, int bytes) {
    ByteBuffer b = buffers.get(input);
    if (b == null || b.capacity() < bytes) {
      int capacity = Math.max(bytes, b == null ? 0 : (int) Math.min(Integer.MAX_VALUE - 8, 2L * b.capacity()));
      b = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
      buffers.put(input, b);
    }
    return b;
  }

  private static void zero(ByteBuffer b, int bytes) {
    int i = 0;
    for (; i + Long.BYTES <= bytes; i += Long.BYTES) {
      b.putLong(i, 0L);
    }
    for (; i < bytes; i++) {
      b.put(i, (byte) 0);
    }
  }

  /** Copies one item into the batch at element offset {@code base}, row by row along its last dimension. */
  private static void copy(ItemTensor item, long[] target, ByteBuffer buffer, int base) {
    int rank = item.rank();
    if (rank == 0) {
      put(item, 0, buffer, base, 1);
      return;
    }
    int rowLength = (int) item.dim(rank - 1);
    int rows = rowLength == 0 ? 0 : item.elements() / rowLength;
    boolean contiguous = true;
    for (int d = 1; d < rank; d++) {
      contiguous &= item.dim(d) == target[d];
    }
    if (contiguous) {
      put(item, 0, buffer, base, item.elements());
      return;
    }
    long[] strides = new long[rank];
    strides[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; d--) {
      strides[d] = strides[d + 1] * target[d + 1];
    }
    int[] index = new int[rank - 1];
    for (int row = 0; row < rows; row++) {
      long offset = 0;
      for (int d = 0; d < rank - 1; d++) {
        offset += index[d] * strides[d];
      }
      put(item, row * rowLength, buffer, base + (int) offset, rowLength);
      for (int d = rank - 2; d >= 0; d--) {
        if (++index[d] < item.dim(d)) {
          break;
        }
        index[d] = 0;
      }
    }
  }

  private static void put(ItemTensor item, int fromInItem, ByteBuffer buffer, int at, int length) {
    int from = item.offset() + fromInItem;
    switch (item.dtype()) {
      case FLOAT32 -> {
        FloatBuffer f = buffer.asFloatBuffer();
        f.put(at, (float[]) item.data(), from, length);
      }
      case INT64 -> {
        LongBuffer l = buffer.asLongBuffer();
        l.put(at, (long[]) item.data(), from, length);
      }
      case BOOL -> {
        boolean[] src = (boolean[]) item.data();
        for (int i = 0; i < length; i++) {
          buffer.put(at + i, src[from + i] ? (byte) 1 : (byte) 0);
        }
      }
    }
  }

  static long product(long[] dims, int from) {
    long p = 1;
    for (int i = from; i < dims.length; i++) {
      p *= dims[i];
    }
    return p;
  }
}
