package dev.pestream.models.bundle;

import java.util.List;

/** A graph input or output as the manifest declares it: name, dtype and shape. */
public record TensorSpec(String name, TensorType dtype, List<Dim> shape) {

  public TensorSpec {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a tensor needs a name");
    }
    if (dtype == null) {
      throw new IllegalArgumentException("tensor '" + name + "' needs a dtype");
    }
    if (shape == null || shape.isEmpty()) {
      throw new IllegalArgumentException("tensor '" + name + "' needs a shape");
    }
    shape = List.copyOf(shape);
  }

  public int rank() {
    return shape.size();
  }

  @Override
  public String toString() {
    return name + " " + dtype.manifestName() + shape;
  }
}
