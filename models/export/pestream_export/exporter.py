"""Builds a bundle (pestream-bundle/1, docs/architecture.md) from loaded models: exports every graph,
checks parity, measures the codec overlap, writes manifest.json, tokenizer.json, parity.json."""
import hashlib
import json
import logging
import platform
import shutil
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
import transformers

from . import codec, graphs, inputs, onnx_io, parity, spans, tokenizer
from .loading import CheckpointError, LoadedModel
from .progress import Progress

FORMAT = "pestream-bundle/1"
TEXT_KEYS = {"pe_audio_video": "text_encoder", "pe_audio": "text_encoder", "pe_video": "text_encoder",
             "pe_audio_frame": "text_encoder_frame"}
EXAMPLE_SIZES = dict(batch=2, frames=9, video_frames=5, length=7)       # tracing (all distinct, none 0/1)
PARITY_SIZES = dict(batch=3, frames=13, video_frames=6, length=11)      # fresh inputs for parity


@dataclass
class ExportOptions:
    out: Path
    precisions: tuple = ("fp32", "fp16")
    model_id: str | None = None
    version: str = "1.0.0"
    license: str | None = None
    description: str | None = None
    seed: int | None = None
    external_data_threshold: int = onnx_io.PROTOBUF_LIMIT_BYTES


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def attention(models, implementation: str):
    """Exports use eager attention (plain MatMul/Softmax with our additive key-padding mask); the
    transformers references run with the model's own default (sdpa)."""
    previous = [m.model.config._attn_implementation for m in models]
    for m in models:
        m.model.set_attn_implementation(implementation)
    try:
        yield
    finally:
        for m, name in zip(models, previous):
            m.model.set_attn_implementation(name)


def quiet():
    warnings.filterwarnings("ignore")
    for name in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript", "transformers", "torch.fx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    transformers.logging.set_verbosity_error()


def text_graph_key(loaded: LoadedModel, models: list) -> str:
    """`text_encoder`, or per model kind in a combined bundle (each head names its text graph)."""
    return TEXT_KEYS[loaded.kind] if len(models) > 1 else "text_encoder"


def plan(models: list) -> list:
    """All graphs of the bundle. The first audio model holds audio_codec; another audio model in the
    same bundle must have bit-equal codec weights (then it shares it), otherwise export fails."""
    roles_seen, planned, codec_owner = {}, [], None
    kinds = [m.kind for m in models]
    if len(set(kinds)) != len(kinds):
        raise CheckpointError(f"two models of the same kind in one bundle: {kinds}")
    for loaded in models:
        _check_internal_codec_ties(loaded)
        include_codec = "audio" in loaded.constants and codec_owner is None
        if "audio" in loaded.constants and codec_owner is not None:
            _check_shared_codec(codec_owner, loaded)
        if include_codec:
            codec_owner = loaded
        for graph in graphs.plan_graphs(loaded, text_graph_key(loaded, models), include_codec):
            if graph.key in roles_seen:
                raise CheckpointError(f"{graph.key} would come from both {roles_seen[graph.key]} and {loaded.kind}")
            roles_seen[graph.key] = loaded.kind
            planned.append((loaded, graph))
    return planned


def _max_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    sa, sb = a.state_dict(), b.state_dict()
    if sa.keys() != sb.keys() or any(sa[k].shape != sb[k].shape for k in sa):
        return float("inf")
    return max((float((sa[k].float() - sb[k].float()).abs().max()) for k in sa), default=0.0)


def _check_internal_codec_ties(loaded: LoadedModel):
    parts = graphs.codec_modules(loaded)
    for name, module in parts[1:]:
        difference = _max_difference(parts[0][1], module)
        if difference != 0.0:
            raise CheckpointError(f"{loaded.source}: the codec in {name} differs from {parts[0][0]} "
                                  f"(max |diff| {difference:g}); one audio_codec graph cannot serve both")


def _check_shared_codec(owner: LoadedModel, other: LoadedModel):
    difference = _max_difference(graphs.codec_modules(owner)[0][1], graphs.codec_modules(other)[0][1])
    constants_differ = owner.constants["audio"] != other.constants["audio"]
    if difference != 0.0 or constants_differ:
        raise CheckpointError(
            f"{owner.source} and {other.source} do not share the DAC codec (max |weight diff| {difference:g}, "
            f"audio constants {owner.constants['audio']} vs {other.constants['audio']}): export them as "
            "separate bundles")


def _special_ids(loaded: LoadedModel) -> dict:
    text = loaded.model.config.text_config
    return {"cls": text.cls_token_id, "sep": text.sep_token_id, "pad": text.pad_token_id}


def _input_kwargs(loaded: LoadedModel) -> dict:
    hop = loaded.constants.get("audio", {}).get("hopSamples", 1920)
    return dict(hop_samples=hop, vocab_size=loaded.model.config.text_config.vocab_size,
                special_ids=_special_ids(loaded))


def _max_frames(loaded: LoadedModel) -> int:
    """Frames one pass may hold: the transformers' position limit minus the CLS token."""
    limits = []
    for name in ("audio_config", "video_config", "audio_video_config"):
        for holder in (loaded.model.config, getattr(loaded.model.config, "audio_video_config", None)):
            sub = getattr(holder, name, None) if holder is not None else None
            if sub is not None and hasattr(sub, "max_position_embeddings"):
                limits.append(sub.max_position_embeddings - 1)
    return min(limits) if limits else 4096


def write_tokenizer(models: list, directory: Path) -> Path:
    target = directory / "tokenizer.json"
    folders = [m.folder for m in models if m.folder is not None]
    if folders:
        contents = {sha256(f / "tokenizer.json") for f in folders}
        if len(contents) != 1:
            raise CheckpointError(f"the checkpoints {folders} have different tokenizer.json files; a bundle has one")
        shutil.copyfile(folders[0] / "tokenizer.json", target)
    else:
        tokenizer.build(models[0].model.config.text_config).save(str(target))
    return target


def export_bundle(models: list, options: ExportOptions) -> list:
    """Exports one bundle per precision; returns their folders. Raises ParityError (after writing
    parity.json, without manifest.json) when a graph misses the parity threshold."""
    quiet()
    planned = plan(models)
    precisions = list(options.precisions)
    progress = Progress(total=len(precisions) * (len(planned) + 3))
    seed = options.seed if options.seed is not None else int.from_bytes(np.random.bytes(4), "little")
    bundles = []
    for precision in precisions:
        directory = options.out if len(precisions) == 1 else options.out / precision
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        generator = torch.Generator().manual_seed(seed)
        report = {"precision": precision, "threshold": parity.MIN_COSINE[precision], "seed": seed,
                  "graphs": {}, "endToEnd": {}, "rewrites": {}}
        manifest_graphs, files, graph_paths = {}, [], {}
        with attention(models, "eager"):
            for loaded, graph in planned:
                with progress.step(f"{precision}: export {graph.key}"):
                    kwargs = _input_kwargs(loaded)
                    example = inputs.graph_inputs(graph, generator, **EXAMPLE_SIZES, **kwargs)
                    shapes = onnx_io.dynamic_shapes(graph, kwargs["hop_samples"], _max_frames(loaded),
                                                    loaded.constants["text"]["maxLength"])
                    path = directory / f"{graph.key}.onnx"
                    written = onnx_io.export_graph(graph, example, path, precision, shapes,
                                                   options.external_data_threshold)
                    files += written
                    graph_paths[graph.key] = (graph, path)
                    fresh = inputs.graph_inputs(graph, generator, **PARITY_SIZES, **kwargs)
                    report["graphs"][graph.key] = parity.run_graph_check(graph, path, fresh)
                    report["graphs"][graph.key]["bytes"] = onnx_io.file_size(written)
                    report["graphs"][graph.key]["parameters"] = onnx_io.onnx_parameters(path)
                    entry = {"file": path.name}
                    entry["inputs"] = [_spec_json(s) for s in graph.inputs]
                    entry["outputs"] = [_spec_json(s) for s in graph.outputs]
                    manifest_graphs[graph.key] = entry
                    worst = min(o["minCosine"] for o in report["graphs"][graph.key]["outputs"].values())
                    progress.info(f"{onnx_io.human_bytes(onnx_io.file_size(written))}, parity min cos {worst:.7f}")
        with progress.step(f"{precision}: end-to-end parity vs transformers forward()"):
            for loaded in models:
                own = {k: v for k, v in graph_paths.items()
                       if v[0].owner == loaded.kind or v[0].role == "audio_codec"}
                report["endToEnd"][loaded.kind] = parity.end_to_end(own, loaded, generator, _special_ids(loaded))
            report["rewrites"] = _rewrite_checks(models, generator)
        audio_section = None
        with progress.step(f"{precision}: codec overlap"):
            if "audio_codec" in graph_paths:
                audio_section, report["codecOverlap"] = _codec_overlap(planned, graph_paths["audio_codec"][1])
                progress.info(f"codecContextFrames = {audio_section['codecContextFrames']}")
        with progress.step(f"{precision}: manifest"):
            files.append(write_tokenizer(models, directory))
            failures = parity.verdict(report, precision)
            report["passed"] = not failures
            report["failures"] = [{"where": w, "minCosine": c} for w, c in failures]
            (directory / "parity.json").write_text(json.dumps(report, indent=2) + "\n")
            files.append(directory / "parity.json")
            if failures:
                raise parity.ParityError(
                    f"parity below cos {parity.MIN_COSINE[precision]} ({precision}): "
                    + "; ".join(f"{w} = {c:.6f}" for w, c in failures[:5]) + f" (see {directory / 'parity.json'})")
            (directory / "export.json").write_text(json.dumps(_export_info(models, precision, report), indent=2) + "\n")
            files.append(directory / "export.json")
            manifest = _manifest(models, options, precision, manifest_graphs, audio_section,
                                 {p.name: sha256(p) for p in sorted(files)})
            (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        bundles.append(directory)
    return bundles


def _spec_json(spec) -> dict:
    return {"name": spec.name, "dtype": spec.dtype, "shape": list(spec.shape)}


def _rewrite_checks(models, generator) -> dict:
    result = {"nearestIndices": parity.check_nearest_indices()}
    for loaded in models:
        for name, module in loaded.model.named_modules():
            if type(module).__name__.endswith("MaskedGroupNorm"):
                result[f"maskedGroupNorm:{loaded.kind}"] = parity.check_masked_group_norm(module, generator)
                break
    return result


def _codec_overlap(planned, onnx_path: Path):
    codec_graph = next(g for _, g in planned if g.role == "audio_codec")
    loaded = next(m for m, g in planned if g.role == "audio_codec")
    field = codec.receptive_field(codec_graph.module.dac_encoder, codec_graph.module.bottleneck)
    run = parity.session(onnx_path)
    measured = codec.measure_chunking(lambda w: run.run(None, {"waveform": w})[0], field["hopSamples"],
                                      field["contextFrames"])
    audio = dict(loaded.constants["audio"])
    audio["codecContextFrames"] = field["contextFrames"]
    return audio, {"receptiveField": field, "measuredOnOnnx": measured}


def _export_info(models, precision, report) -> dict:
    """What the runtime does not read (its manifest parser rejects unknown fields): provenance."""
    return {
        "tool": "models/export (pestream_export)",
        "precision": precision,
        "sources": [m.source for m in models],
        "kinds": [m.kind for m in models],
        "constantSources": {m.kind: m.sources for m in models},
        "parity": {"report": "parity.json", "threshold": report["threshold"], "passed": report["passed"]},
        "codecReceptiveField": report.get("codecOverlap", {}).get("receptiveField"),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "opset": onnx_io.OPSET,
                     "python": platform.python_version()},
    }


def _manifest(models, options, precision, manifest_graphs, audio_section, files) -> dict:
    first = models[0]
    random_init = first.folder is None
    model_id = options.model_id or ("pestream/" + first.source.replace(":", "-") if random_init
                                    else "+".join(m.folder.name for m in models))
    description = options.description or (
        f"Random-init export ({first.source}, {precision}): real PE architecture with RANDOM weights; for "
        "tests and speed measurements only, its outputs mean nothing. Provenance: export.json." if random_init
        else f"{precision} export of " + ", ".join(f"{m.kind} from {m.folder.name}" for m in models)
        + ". Provenance and parity: export.json, parity.json.")
    manifest = {
        "format": FORMAT,
        "modelId": model_id,
        "version": options.version,
        "license": options.license or _license(models),
        "contract": False,
        "description": description,
        "files": files,
    }
    if audio_section is not None:
        manifest["audio"] = audio_section
    video = next((m.constants["video"] for m in models if "video" in m.constants), None)
    if video is not None:
        manifest["video"] = video
    manifest["text"] = {"tokenizer": "tokenizer.json",
                        "maxLength": min(m.constants["text"]["maxLength"] for m in models)}
    dims = {m.model.config.text_config.hidden_size for m in models}
    if len(dims) != 1:
        raise CheckpointError(f"models with different embedding sizes {sorted(dims)} cannot share a bundle")
    manifest["embeddingDim"] = dims.pop()
    heads = {}
    for loaded in models:
        text_key = text_graph_key(loaded, models)
        for name, (_, scale, bias) in graphs.text_heads(loaded).items():
            head = {"graph": text_key, "output": f"text_{name}", "logitScale": float(scale.item()),
                    "logitBias": float(bias.item())}
            if name == "frame_audio":
                head["threshold"] = spans.REFERENCE_THRESHOLD
            heads[name] = head
    manifest["heads"] = heads
    manifest["graphs"] = manifest_graphs
    return manifest


def _license(models) -> str:
    """The licence declared in the checkpoints' README.md front matter (`license: ...`)."""
    found = set()
    for m in models:
        if m.folder is None:
            found.add("Apache-2.0 (random weights generated by the exporter)")
            continue
        readme = m.folder / "README.md"
        text = readme.read_text(errors="replace") if readme.is_file() else ""
        if text.startswith("---"):
            for line in text.split("---")[1].splitlines():
                if line.strip().lower().startswith("license:"):
                    found.add(line.split(":", 1)[1].strip())
    if len(found) != 1:
        raise CheckpointError(f"cannot tell the licence from the checkpoints' README.md ({sorted(found) or 'none'}); "
                              "pass --license")
    return found.pop()
