package dev.pestream.models.bundle;

import java.util.List;
import java.util.Optional;

/** One ONNX graph of a bundle: its file and the inputs/outputs the manifest promises. */
public record GraphSpec(String file, List<TensorSpec> inputs, List<TensorSpec> outputs) {

  public GraphSpec {
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }

  public Optional<TensorSpec> input(String name) {
    return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  public Optional<TensorSpec> output(String name) {
    return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
