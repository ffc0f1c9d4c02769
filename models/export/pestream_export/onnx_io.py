"""torch -> ONNX for one graph: dynamo export with dynamic batch/time axes, manifest dim names,
fp16 variant (float32 I/O kept), external data for graphs over the protobuf limit."""
import copy
import math
from pathlib import Path

import numpy as np
import onnx
import onnx_ir as ir
import torch
from torch import nn

from .graphs import Graph

OPSET = 18                        # runs on ORT 1.29 (Java and Python) and TensorRT 10
PROTOBUF_LIMIT_BYTES = 2 * 1024 ** 3
_TORCH_DTYPES = {"float32": torch.float32, "int64": torch.int64, "bool": torch.bool}
_ONNX_DTYPES = {"float32": onnx.TensorProto.FLOAT, "int64": onnx.TensorProto.INT64, "bool": onnx.TensorProto.BOOL}


class Float16Graph(nn.Module):
    """A graph computing in float16 with the float32 I/O of the manifest: casts in, casts out."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = copy.deepcopy(inner).half()

    def forward(self, *args):
        outputs = self.inner(*(a.half() if a.is_floating_point() else a for a in args))
        if isinstance(outputs, torch.Tensor):
            return outputs.float()
        return tuple(o.float() for o in outputs)


def onnx_parameters(path: Path) -> int:
    """Weights a saved graph holds (its initializers' elements): only what the graph uses."""
    model = onnx.load(str(path), load_external_data=False)
    return sum(math.prod(i.dims) for i in model.graph.initializer)


def unique_parameters(module: nn.Module) -> int:
    """Parameters of a module, each shared (tied) tensor counted once."""
    return sum(p.numel() for p in {id(p): p for p in module.parameters()}.values())


def parameter_bytes(module: nn.Module, bytes_per_value: int) -> int:
    seen, total = set(), 0
    for p in list(module.parameters()) + list(module.buffers()):
        if p.data_ptr() not in seen:
            seen.add(p.data_ptr())
            total += p.numel() * (bytes_per_value if p.is_floating_point() else p.element_size())
    return total


def dynamic_shapes(graph: Graph, hop_samples: int, max_frames: int, max_text: int) -> dict:
    """torch.export dims for the symbolic axes of the manifest specs."""
    dims = {
        "batch": torch.export.Dim("batch", min=1, max=4096),
        "frames": torch.export.Dim("frames", min=1, max=max_frames),
        "video_frames": torch.export.Dim("video_frames", min=1, max=max_frames),
        "length": torch.export.Dim("length", min=1, max=max_text),
    }
    shapes = {}
    for spec in graph.inputs:
        axes = {}
        for axis, dim in enumerate(spec.shape):
            if dim == "samples":
                axes[axis] = hop_samples * dims["frames"]
            elif isinstance(dim, str):
                axes[axis] = dims[dim]
        shapes[spec.name] = axes
    return shapes


def export_graph(graph: Graph, example: dict, path: Path, precision: str, shapes: dict,
                 external_data_threshold: int = PROTOBUF_LIMIT_BYTES) -> list:
    """Exports one graph to `path` and returns the files written (graph + external data, if any)."""
    module = graph.module if precision == "fp32" else Float16Graph(graph.module)
    module.eval()
    args = tuple(example[spec.name] for spec in graph.inputs)
    dims = tuple(shapes[spec.name] for spec in graph.inputs)
    if isinstance(module, Float16Graph):
        dims = (dims,)                  # forward(*args): one positional parameter holding them all
    with torch.no_grad():
        program = torch.onnx.export(
            module, args, dynamo=True, opset_version=OPSET, optimize=True, verbose=False,
            input_names=[s.name for s in graph.inputs], output_names=[s.name for s in graph.outputs],
            dynamic_shapes=dims)
    _name_dims(program.model, graph)
    _strip_metadata(program.model)
    program.model.producer_name = "pestream-export"
    external = parameter_bytes(module, 2 if precision == "fp16" else 4) > external_data_threshold
    path.parent.mkdir(parents=True, exist_ok=True)
    before = set(path.parent.iterdir())
    program.save(str(path), external_data=external)
    written = sorted(set(path.parent.iterdir()) - before | {path})
    check_io(path, graph)
    return written


def _name_dims(model: ir.Model, graph: Graph):
    """Gives the graph's inputs and outputs exactly the manifest's names, dtypes and dims."""
    for values, specs in ((model.graph.inputs, graph.inputs), (model.graph.outputs, graph.outputs)):
        if [v.name for v in values] != [s.name for s in specs]:
            raise RuntimeError(f"{graph.key}: exported I/O {[v.name for v in values]} != {[s.name for s in specs]}")
        for value, spec in zip(values, specs):
            if len(value.shape) != len(spec.shape):
                raise RuntimeError(f"{graph.key}.{spec.name}: exported rank {len(value.shape)} != {len(spec.shape)}")
            value.shape = ir.Shape([d if isinstance(d, int) else ir.SymbolicDim(d) for d in spec.shape])


def _strip_metadata(model: ir.Model):
    """Drops the exporter's per-node debug metadata (torch stack traces, module paths): it is most of
    a small graph's bytes and nothing reads it."""
    for node in ir.traversal.RecursiveGraphIterator(model.graph):
        node.metadata_props.clear()
        node.doc_string = None
        for value in node.outputs:
            value.metadata_props.clear()
    for value in list(model.graph.inputs) + list(model.graph.outputs) + list(model.graph.initializers.values()):
        value.metadata_props.clear()


def check_io(path: Path, graph: Graph):
    """Reads the saved graph back and checks its I/O against the manifest specs."""
    model = onnx.load(str(path), load_external_data=False)
    for values, specs in ((model.graph.input, graph.inputs), (model.graph.output, graph.outputs)):
        for value, spec in zip(values, specs):
            tensor = value.type.tensor_type
            dims = [d.dim_param or d.dim_value for d in tensor.shape.dim]
            if value.name != spec.name or tensor.elem_type != _ONNX_DTYPES[spec.dtype] or dims != list(spec.shape):
                raise RuntimeError(f"{path.name}: {value.name} {tensor.elem_type} {dims} does not match {spec}")


def torch_dtype(name: str):
    return _TORCH_DTYPES[name]


def numpy_inputs(example: dict) -> dict:
    return {k: v.numpy() for k, v in example.items()}


def file_size(paths) -> int:
    return sum(Path(p).stat().st_size for p in paths)


def human_bytes(n: int) -> str:
    units = ["B", "KB", "MB", "GB"]
    i = min(len(units) - 1, int(math.log(max(n, 1), 1024)))
    return f"{n / 1024 ** i:.1f} {units[i]}"


def as_float(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)
