package dev.pestream.models.runtime;

import java.io.Serializable;

/**
 * TensorRT optimisation profile for one graph's dynamic inputs, in ONNX Runtime's syntax:
 * {@code "input_name:1x3x224x224,other:1x16"} for each of min, opt and max.
 */
public record ShapeProfile(String min, String opt, String max) implements Serializable {
  public ShapeProfile {
    if (min == null || opt == null || max == null || min.isBlank() || opt.isBlank() || max.isBlank()) {
      throw new IllegalArgumentException("a TensorRT shape profile needs min, opt and max shapes");
    }
  }
}
