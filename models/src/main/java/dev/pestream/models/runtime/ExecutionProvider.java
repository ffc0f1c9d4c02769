package dev.pestream.models.runtime;

import java.util.Locale;

/** ONNX Runtime execution providers this project configures, in their usual preference order. */
public enum ExecutionProvider {
  TENSORRT,
  CUDA,
  CPU;

  /** Parses "tensorrt", "TensorRT", "cuda", "cpu" (case-insensitive). */
  public static ExecutionProvider parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown execution provider '" + name + "' (tensorrt, cuda, cpu)", e);
    }
  }
}
