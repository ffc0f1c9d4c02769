package dev.pestream.models.bundle;

import ai.onnxruntime.OnnxJavaType;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Element types a bundle's graphs may use, by their manifest names. */
public enum TensorType {
  FLOAT32("float32", OnnxJavaType.FLOAT, Float.BYTES),
  INT64("int64", OnnxJavaType.INT64, Long.BYTES),
  BOOL("bool", OnnxJavaType.BOOL, 1);

  private final String manifestName;
  private final OnnxJavaType onnxType;
  private final int bytes;

  TensorType(String manifestName, OnnxJavaType onnxType, int bytes) {
    this.manifestName = manifestName;
    this.onnxType = onnxType;
    this.bytes = bytes;
  }

  @JsonValue
  public String manifestName() {
    return manifestName;
  }

  public OnnxJavaType onnxType() {
    return onnxType;
  }

  public int bytesPerElement() {
    return bytes;
  }

  @JsonCreator
  public static TensorType fromManifestName(String name) {
    for (TensorType t : values()) {
      if (t.manifestName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + name + "' (expected float32, int64 or bool)");
  }

  /** The manifest type for an ONNX Runtime element type, or null when bundles cannot use it. */
  public static TensorType fromOnnx(OnnxJavaType type) {
    for (TensorType t : values()) {
      if (t.onnxType == type) {
        return t;
      }
    }
    return null;
  }
}
