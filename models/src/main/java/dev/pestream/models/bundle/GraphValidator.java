package dev.pestream.models.bundle;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks an opened ONNX graph against its manifest entry: the same input and output names, and
 * for each the same dtype, rank and fixed dimensions (symbolic manifest dimensions must be dynamic
 * in the graph, since batching and variable lengths depend on it).
 */
public final class GraphValidator {
  private GraphValidator() {}

  public static List<String> check(String graph, GraphSpec spec, Map<String, NodeInfo> inputs,
                                   Map<String, NodeInfo> outputs) {
    List<String> problems = new ArrayList<>();
    problems.addAll(check(graph, "input", spec.inputs(), inputs));
    problems.addAll(check(graph, "output", spec.outputs(), outputs));
    return problems;
  }

  private static List<String> check(String graph, String kind, List<TensorSpec> declared, Map<String, NodeInfo> actual) {
    List<String> problems = new ArrayList<>();
    String file = "graph '" + graph + "' (" + kind + "s in the ONNX file: " + new TreeSet<>(actual.keySet()) + ")";
    for (TensorSpec t : declared) {
      NodeInfo node = actual.get(t.name());
      if (node == null) {
        problems.add(file + ": has no " + kind + " '" + t.name() + "' that the manifest declares");
        continue;
      }
      if (!(node.getInfo() instanceof TensorInfo info)) {
        problems.add("graph '" + graph + "' " + kind + " '" + t.name() + "' is not a tensor: " + node.getInfo());
        continue;
      }
      String where = "graph '" + graph + "' " + kind + " '" + t.name() + "'";
      TensorType type = TensorType.fromOnnx(info.type);
      if (type != t.dtype()) {
        problems.add(where + ": the ONNX file has dtype " + (type == null ? info.type : type.manifestName())
            + ", the manifest says " + t.dtype().manifestName());
      }
      long[] shape = info.getShape();
      if (shape.length != t.rank()) {
        problems.add(where + ": the ONNX file has rank " + shape.length + " " + java.util.Arrays.toString(shape)
            + ", the manifest says rank " + t.rank() + " " + t.shape());
        continue;
      }
      for (int i = 0; i < shape.length; i++) {
        Dim dim = t.shape().get(i);
        boolean dynamic = shape[i] < 0;
        if (dim.isSymbolic() && !dynamic) {
          problems.add(where + ": dimension " + i + " is fixed to " + shape[i] + " in the ONNX file, the manifest says "
              + "symbolic '" + dim.symbol() + "'");
        } else if (!dim.isSymbolic() && shape[i] != dim.size()) {
          problems.add(where + ": dimension " + i + " is " + (dynamic ? "dynamic" : Long.toString(shape[i]))
              + " in the ONNX file, the manifest says " + dim.size());
        }
      }
    }
    for (String name : actual.keySet()) {
      if (declared.stream().noneMatch(t -> t.name().equals(name))) {
        problems.add(file + ": " + kind + " '" + name + "' is not declared in the manifest");
      }
    }
    return problems;
  }
}
