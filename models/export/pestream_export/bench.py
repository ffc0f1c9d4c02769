"""CPU throughput per graph: ONNX Runtime vs PyTorch on the same inputs in the same run.

For each named config: export it (fp32, random init) unless --skip-export, then time every graph in
onnxruntime (CPU EP, --threads intra-op threads) and its torch wrapper (torch.set_num_threads(--threads),
eager attention: the computation that was exported), one warm-up each and --repeats alternating timed
runs (best of each), and print seconds per call, the ORT/PyTorch speed ratio and throughput (audio frames/s and seconds of
audio per second, video frames/s, texts/s). Not a test: run by hand (README.md)."""
import gc
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from . import exporter, graphs, inputs, loading, onnx_io


def _interleaved(torch_fn, ort_fn, repeats: int) -> tuple:
    """Best time of each after one warm-up each, alternating torch and ORT runs so that load from
    other processes on a shared machine hits both alike."""
    torch_fn()
    ort_fn()
    best_torch = best_ort = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch_fn()
        best_torch = min(best_torch, time.perf_counter() - start)
        start = time.perf_counter()
        ort_fn()
        best_ort = min(best_ort, time.perf_counter() - start)
    return best_torch, best_ort


def _workload(graph: graphs.Graph, seconds: float, loaded) -> dict:
    """Batch 1 clip of `seconds` of audio (25 frames/s); 16 video frames; frame encoder: 4 frames; text: 4 x 16 tokens."""
    frames = int(round(seconds * 25))
    sizes = {"batch": 1, "frames": frames, "video_frames": 16, "length": 16}
    if graph.role == "frame_encoder":
        sizes["batch"] = 4
    if graph.role == "text_encoder":
        sizes["batch"] = 4
    return sizes


def _throughput(graph: graphs.Graph, sizes: dict, seconds_per_call: float, hop: int, sample_rate: int) -> str:
    if graph.role in ("audio_codec", "audio_encoder", "frame_level_audio", "av_encoder"):
        frames = sizes["batch"] * sizes["frames"]
        audio_seconds = frames * hop / sample_rate
        return f"{frames / seconds_per_call:9.1f} audio frames/s = {audio_seconds / seconds_per_call:7.2f} s audio/s"
    if graph.role in ("frame_encoder",):
        return f"{sizes['batch'] / seconds_per_call:9.2f} video frames/s"
    if graph.role == "video_encoder":
        return f"{sizes['batch'] * sizes['video_frames'] / seconds_per_call:9.1f} video frames/s"
    return f"{sizes['batch'] / seconds_per_call:9.1f} texts/s"


def bench_config(name: str, args) -> list:
    out = Path(args.out) / name
    models = loading.random_init(name, 0)
    exporter.quiet()
    if not args.skip_export:
        exporter.export_bundle(models, exporter.ExportOptions(out=out, precisions=("fp32",), seed=1))
    manifest = json.loads((out / "manifest.json").read_text())
    torch.set_num_threads(args.threads)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    # ORT's intra-op threads spin after a run by default and would steal the cores from the next torch
    # run: spinning off, so the alternating runs do not disturb each other
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    rows = []
    for loaded in models:
        loaded.model.set_attn_implementation("eager")
        print(f"\n{name} / {loaded.kind}: {onnx_io.unique_parameters(loaded.model) / 1e6:.1f} M parameters")
    planned = exporter.plan(models)
    audio = manifest.get("audio", {"hopSamples": 1920, "sampleRate": 48000})
    header = f"{'graph':20s} {'params':>9s} {'onnx':>9s} {'ORT s/call':>11s} {'torch s/call':>12s} {'ORT/torch':>9s}  throughput (ORT | torch)"
    print(header)
    for loaded, graph in planned:
        path = out / manifest["graphs"][graph.key]["file"]
        size = sum(p.stat().st_size for p in out.glob(path.name + "*"))
        sizes = _workload(graph, args.seconds, loaded)
        kwargs = exporter._input_kwargs(loaded)
        feed = inputs.graph_inputs(graph, torch.Generator().manual_seed(3), **sizes, **kwargs)
        for spec in graph.inputs:                   # full-length: no padding in the timed batches
            if spec.dtype == "bool":
                feed[spec.name] = torch.ones_like(feed[spec.name])
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        numpy_feed = {k: v.numpy() for k, v in feed.items()}
        with torch.inference_mode():
            torch_s, ort_s = _interleaved(lambda: graph.module(*(feed[s.name] for s in graph.inputs)),
                                          lambda: session.run(None, numpy_feed), args.repeats)
        del session
        gc.collect()
        row = {"config": name, "graph": graph.key, "parameters": onnx_io.onnx_parameters(path), "onnxBytes": size,
               "ortSeconds": ort_s, "torchSeconds": torch_s, "ortOverTorchSpeed": torch_s / ort_s, "sizes": sizes}
        rows.append(row)
        print(f"{graph.key:20s} {row['parameters'] / 1e6:8.1f}M {onnx_io.human_bytes(size):>9s} {ort_s:11.3f} "
              f"{torch_s:12.3f} {torch_s / ort_s:9.2f}  "
              f"{_throughput(graph, sizes, ort_s, audio['hopSamples'], audio['sampleRate'])} | "
              f"{_throughput(graph, sizes, torch_s, audio['hopSamples'], audio['sampleRate'])}", flush=True)
    return rows


def run(args):
    rows = []
    for name in args.config or ["default-av", "default-frame"]:
        rows += bench_config(name, args)
        gc.collect()
    target = Path(args.out) / "bench.json"
    target.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwritten {target} (ORT/torch > 1: ONNX Runtime faster)")
