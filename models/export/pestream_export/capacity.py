"""GPU capacity per graph: PyTorch (the only GPU stack of the lent machines), random weights in bfloat16,
batch 1 -> 64, then streams per GPU for each frame policy.

For each named config (default-av and default-frame; --tiny: the tiny configs on the CPU in float32, to
check the script), every graph of the bundle the exporter would write is timed through the exporter's own torch
wrappers (graphs.py) on one work item per batch row:

* audio_codec, frame_level_audio: one 1 s chunk (25 audio frames)   -> seconds of audio per second
* frame_encoder: one frame                                          -> frames per second
* audio_encoder, video_encoder, av_encoder: one 10 s window (250 audio frames; video frames of the
  policy: native 30 fps = 300, fps:1 = 10, uniform:16 = 16)          -> windows per second
* text encoders are left out: prompts and tags are embedded once and cached.

Streams per GPU = 1 / (GPU seconds one stream needs per second), each graph at its best batch size (the
shared batcher fills batches across streams), for a 30 fps stream with 10 s windows every 2 s. Random
weights are never real model output; only the speed is measured. Not a test: run by hand
(scripts/gpu-capacity.sh)."""
import time

import torch

from . import exporter, inputs, loading

STREAM_FPS = 30
WINDOW_SECONDS, HOP_SECONDS = 10, 2
# video frames per 10 s window and video frames encoded per stream second, per frame policy
POLICIES = {"native": (WINDOW_SECONDS * STREAM_FPS, STREAM_FPS), "fps:1": (WINDOW_SECONDS, 1)}


def uniform_frames_per_second(k: int = 16) -> float:
    """Frames per second the uniform:K policy keeps (the union of every window's K picks,
    floor(i*(n-1)/(K-1)) of its n grid frames), as the Java decoder keeps them, over 10 minutes."""
    n = WINDOW_SECONDS * STREAM_FPS
    hop = HOP_SECONDS * STREAM_FPS
    kept = set()
    for w in range(600 // HOP_SECONDS):
        kept.update(w * hop + (i * (n - 1)) // (k - 1) for i in range(k))
    return len([j for j in kept if j < 600 * STREAM_FPS]) / 600


POLICIES["uniform:16"] = (16, uniform_frames_per_second())


def _timed(fn, device, budget_s: float) -> float:
    """Seconds per call: one warm-up, then calls until 0.3 s or 20 calls (GPU synchronised)."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()
    fn()
    sync()
    calls, start = 0, time.perf_counter()
    while calls < 20 and (calls < 2 or time.perf_counter() - start < min(0.3, budget_s)):
        fn()
        calls += 1
    sync()
    return (time.perf_counter() - start) / calls


def _sizes(role: str, batch: int, video_frames: int) -> dict:
    frames = 25 if role in ("audio_codec", "frame_level_audio") else WINDOW_SECONDS * 25
    return {"batch": batch, "frames": frames, "video_frames": video_frames, "length": 16}


def _variants(role: str) -> list:
    """(label, video frames per window) for the graphs whose cost depends on the policy."""
    if role in ("video_encoder", "av_encoder"):
        return [(policy, frames) for policy, (frames, _) in POLICIES.items()]
    return [("", 16)]


def measure(config: str, device, dtype, batches: list, deadline: float) -> dict:
    """Best items per second of each (graph, variant) over the batch sizes, printing every row."""
    models = loading.random_init(config, 0)
    exporter.quiet()
    best = {}
    for loaded in models:
        loaded.model.set_attn_implementation("sdpa")
        loaded.model.to(device=device, dtype=dtype)
    for loaded, graph in exporter.plan(models):
        if graph.role == "text_encoder":
            continue
        kwargs = exporter._input_kwargs(loaded)
        for label, video_frames in _variants(graph.role):
            name = graph.key + (f" [{label}]" if label else "")
            for batch in batches:
                if time.perf_counter() > deadline:
                    print(f"{config:14s} {name:26s} {batch:5d}  skipped: time budget spent", flush=True)
                    break
                feed = inputs.graph_inputs(graph, torch.Generator().manual_seed(3),
                                           **_sizes(graph.role, batch, video_frames), **kwargs)
                args = []
                for spec in graph.inputs:
                    value = feed[spec.name]
                    if spec.dtype == "bool":
                        value = torch.ones_like(value)      # full length: no padding in timed batches
                    elif value.is_floating_point():
                        value = value.to(dtype)
                    args.append(value.to(device))
                try:
                    with torch.inference_mode():
                        seconds = _timed(lambda: graph.module(*args), device, deadline - time.perf_counter())
                except torch.OutOfMemoryError:
                    print(f"{config:14s} {name:26s} {batch:5d}  out of memory", flush=True)
                    torch.cuda.empty_cache()
                    break
                rate = batch / seconds
                unit = {"audio_codec": "s audio/s", "frame_level_audio": "s audio/s",
                        "frame_encoder": "frames/s"}.get(graph.role, "windows/s")
                print(f"{config:14s} {name:26s} {batch:5d} {seconds * 1000:10.2f} ms {rate:12.1f} {unit}", flush=True)
                best[(graph.role, label)] = max(best.get((graph.role, label), 0.0), rate)
    del models
    return best


def streams_table(best: dict) -> None:
    """Streams per GPU per frame policy, from each graph's best throughput."""
    print(f"\n{'policy':12s} {'frames/s kept':>14s} {'PE-AV streams':>14s} {'PE-A-Frame (alerts) streams':>28s}")
    windows_per_second = 1 / HOP_SECONDS
    for policy, (_, kept_fps) in POLICIES.items():
        gpu_seconds = 0.0
        parts = [("audio_codec", "", 1.0), ("frame_encoder", "", kept_fps),
                 ("audio_encoder", "", windows_per_second), ("video_encoder", policy, windows_per_second),
                 ("av_encoder", policy, windows_per_second)]
        missing = [role for role, label, _ in parts if (role, label) not in best]
        for role, label, per_second in parts:
            if (role, label) in best:
                gpu_seconds += per_second / best[(role, label)]
        av = "n/a" if missing else f"{1 / gpu_seconds:14.1f}"
        alerts = [("audio_codec", ""), ("frame_level_audio", "")]
        frame = "n/a" if any(k not in best for k in alerts) else \
            f"{1 / sum(1 / best[k] for k in alerts):28.1f}"
        print(f"{policy:12s} {kept_fps:14.2f} {av:>14s} {frame:>28s}")


def run(args):
    tiny = args.tiny
    device = torch.device("cpu" if tiny or not torch.cuda.is_available() else "cuda")
    if device.type == "cpu" and not tiny:
        raise SystemExit("no CUDA device: run on a GPU machine, or use --tiny to check the script on the CPU")
    # bf16 convolutions on a CPU without bf16 units take minutes: the CPU check runs float32
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    batches = [1, 4] if tiny else [1, 2, 4, 8, 16, 32, 64]
    configs = ["tiny-av", "tiny-frame"] if tiny else ["default-av", "default-frame"]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}, torch {torch.__version__}, {dtype}, random weights (speed only), batches {batches}")
    print(f"{'config':14s} {'graph [policy]':26s} {'batch':>5s} {'per call':>13s} {'throughput':>12s}")
    deadline = time.perf_counter() + args.budget_seconds
    best = {}
    for config in configs:
        best.update(measure(config, device, dtype, batches, deadline))
        if device.type == "cuda":
            torch.cuda.empty_cache()
    streams_table(best)
