"""The CI fixture: a tiny random-init PE-AV + PE-A-Frame bundle (fp32) and PyTorch's outputs for fixed
inputs, so Java tests run the real graph structure through the project's runtime without torch; and
the span-rule reference (scores -> spans by the reference rule) for the Java span decoder.

Inputs are closed-form (sines) so the Java tests regenerate them instead of reading megabytes:
  waveform(clip, n) = float32(0.3 sin(2 pi (220 + 110 clip) n / sr) + 0.2 sin(2 pi 3 n / sr + clip)
                              * sin(2 pi 1234.5 n / sr))
  pixel(clip, frame, c, y, x) = float32(sin(0.37 x + 0.23 (c + 1) y + 0.5 frame + clip))  (already
                                normalised pixel values, fed straight to frame_encoder)
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from . import exporter, graphs, loading, spans

FIXTURE_SEED = 20261130          # parity inputs of the fixture export
AUDIO_FRAMES = [10, 7]           # two clips of different lengths: the runtime pads and masks them
VIDEO_FRAMES = [4, 3]
LONG_FRAMES = 50                 # 2 s clip for the codec chunking test
TEXTS = ["dog barking", "a siren in the rain", "silence"]


def waveform(clip: int, frames: int, hop: int, sample_rate: int) -> np.ndarray:
    n = np.arange(frames * hop, dtype=np.float64)
    x = 0.3 * np.sin(2 * np.pi * (220 + 110 * clip) * n / sample_rate) \
        + 0.2 * np.sin(2 * np.pi * 3 * n / sample_rate + clip) * np.sin(2 * np.pi * 1234.5 * n / sample_rate)
    return x.astype(np.float32)


def pixels(clip: int, frames: int, size: int) -> np.ndarray:
    f, c, y, x = np.meshgrid(np.arange(frames), np.arange(3), np.arange(size), np.arange(size), indexing="ij")
    return np.sin(0.37 * x + 0.23 * (c + 1) * y + 0.5 * f + clip).astype(np.float32)


def _rows(t) -> list:
    return np.asarray(t, dtype=np.float32).tolist()


def pytorch_reference(models: list, bundle_dir: Path) -> dict:
    av = next(m for m in models if m.kind == "pe_audio_video")
    frame = next(m for m in models if m.kind == "pe_audio_frame")
    audio, video = av.constants["audio"], av.constants["video"]
    hop, sr, size = audio["hopSamples"], audio["sampleRate"], video["imageSize"]
    tokenizer = Tokenizer.from_file(str(bundle_dir / "tokenizer.json"))
    codec = graphs.AudioCodec(av.model.audio_model.audio_encoder).eval()
    frame_encoder = graphs.FrameEncoder(av.model.video_model.video_encoder).eval()
    text_ids = [tokenizer.encode(t).ids for t in TEXTS]
    out = {"audioFrames": AUDIO_FRAMES, "videoFrames": VIDEO_FRAMES, "longFrames": LONG_FRAMES, "texts": TEXTS,
           "tokenIds": text_ids, "clips": [], "text": {}, "frameAudioProbabilities": []}
    with torch.no_grad():
        any_ids = torch.tensor([text_ids[0]])
        for clip, (af, vf) in enumerate(zip(AUDIO_FRAMES, VIDEO_FRAMES)):
            wave = torch.from_numpy(waveform(clip, af, hop, sr))[None, None, :]
            pix = torch.from_numpy(pixels(clip, vf, size))[None]
            # all three modalities: transformers 5.24's video+text-only branch of PeAudioVideoModel.forward
            # fails (PeVideoOutput has no mm_encoder_outputs); audio/video embeddings come out of it as well
            full = av.model(input_ids=any_ids, input_values=wave, pixel_values_videos=pix, return_dict=True)
            framewise = frame.model(input_ids=any_ids, input_values=wave, return_dict=True)
            out["clips"].append({
                "codecFeatures": _rows(codec(wave)[0]),
                "audioEmbedding": _rows(full.audio_embeds[0]),
                "frameFeatures": _rows(frame_encoder(pix[0])),
                "videoEmbedding": _rows(full.video_embeds[0]),
                "audioVideoEmbedding": _rows(full.audio_video_embeds[0]),
                "frameEmbeddings": _rows(framewise.audio_embeds[0]),
            })
        for ids in text_ids:
            t = torch.tensor([ids])
            wave = torch.from_numpy(waveform(0, AUDIO_FRAMES[0], hop, sr))[None, None, :]
            pix = torch.from_numpy(pixels(0, VIDEO_FRAMES[0], size))[None]
            full = av.model(input_ids=t, input_values=wave, pixel_values_videos=pix, return_dict=True)
            framewise = frame.model(input_ids=t, input_values=wave, return_dict=True)
            for head, value in (("audio", full.text_audio_embeds), ("video", full.text_video_embeds),
                                ("audio_video", full.text_audio_video_embeds),
                                ("frame_audio", framewise.text_audio_embeds)):
                out["text"].setdefault(head, []).append(_rows(value[0]))
        scale = float(frame.model.text_audio_logit_scale.item())
        bias = float(frame.model.text_audio_logit_bias.item())
        for clip in out["clips"]:
            out["frameAudioProbabilities"].append([
                spans.probabilities(np.asarray(clip["frameEmbeddings"]), np.asarray(t), scale, bias).tolist()
                for t in out["text"]["frame_audio"]])
        long_wave = torch.from_numpy(waveform(0, LONG_FRAMES, hop, sr))[None, None, :]
        out["longCodecFeatures"] = _rows(codec(long_wave)[0])
    return out


def span_cases(seed: int = 7) -> list:
    """Scores and the spans the reference rule gives, edge cases first, then random ones."""
    hop, sr = 1920, 48000
    t = spans.REFERENCE_THRESHOLD
    cases = [
        ("all below", [0.1, 0.2, 0.29, 0.0], t, 0.16),
        ("all above", [0.5, 0.9, 0.31, 0.7], t, 0.16),
        ("equal to threshold is not above", [0.3, 0.31, 0.3, 0.30000001, 0.2], t, 0.2),
        ("single frames", [0.9, 0.1, 0.9, 0.1, 0.9], t, 0.2),
        ("run into padding is clipped", [0.1, 0.8, 0.8, 0.8, 0.8], t, 0.13),
        ("run entirely in padding is dropped", [0.8, 0.1, 0.1, 0.9, 0.9], t, 0.1),
        ("empty", [], t, 0.0),
        ("other threshold", [0.55, 0.45, 0.65, 0.7, 0.2], 0.5, 0.2),
    ]
    rng = np.random.default_rng(seed)
    for i in range(6):
        n = int(rng.integers(20, 120))
        # smooth-ish random scores so runs of several frames occur
        walk = np.clip(0.3 + np.cumsum(rng.normal(0, 0.08, n)), 0, 1)
        duration = round(float((n - rng.integers(0, 3)) * hop / sr - rng.uniform(0, 0.04)), 6)
        cases.append((f"random {i}", [round(float(v), 6) for v in walk], float(rng.choice([t, 0.5, 0.2])), duration))
    return [{"name": name, "probabilities": probs, "threshold": threshold, "hopSamples": hop, "sampleRate": sr,
             "durationS": duration, "spans": spans.spans(probs, threshold, hop, sr, duration)}
            for name, probs, threshold, duration in cases]


def write_fixture(bundle_dir: Path, reference_path: Path, spans_path: Path, seed: int = 0):
    models = loading.random_init("tiny", seed)
    exporter.export_bundle(models, exporter.ExportOptions(
        out=bundle_dir, precisions=("fp32",), seed=FIXTURE_SEED, model_id="pestream/tiny-random",
        description="Random-init tiny PE-AV + PE-A-Frame (config 'tiny', init seed 0), fp32: the real PE "
                    "architecture with RANDOM weights, a CI fixture. Its outputs mean nothing. Regenerate: "
                    "models/export/README.md."))
    reference = pytorch_reference(models, bundle_dir)
    reference = {"bundle": str(bundle_dir.name), "generator": "python -m pestream_export fixture",
                 "inputs": __doc__.split("Inputs are closed-form")[1].strip(), **reference}
    reference_path.parent.mkdir(parents=True, exist_ok=True)
    reference_path.write_text(json.dumps(reference) + "\n")
    spans_path.parent.mkdir(parents=True, exist_ok=True)
    spans_path.write_text(json.dumps({
        "rule": "prob > threshold (float32); each maximal run of such frames [first, last] is one span "
                "[first*hop/sr, (last+1)*hop/sr] seconds, end clipped to durationS, spans starting at or after "
                "durationS dropped (perception_models PEAudioFrame.forward + clipping to the real duration)",
        "generator": "python -m pestream_export fixture (pestream_export/spans.py)",
        "cases": span_cases()}, indent=1) + "\n")
    print(f"fixture: {bundle_dir}, {reference_path}, {spans_path}")
