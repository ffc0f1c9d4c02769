"""Parity of the exported graphs with PyTorch, written into the bundle as parity.json.

Three kinds of evidence:
* graphs: each ONNX graph in onnxruntime vs its torch wrapper on fresh random inputs (padded batches);
* endToEnd: the chain of ONNX graphs (codec -> encoders, frame encoder -> video encoder, text) vs the
  untouched transformers forward() of the model, on waveforms / pixel clips / token ids with padding.
  This proves the wrappers' rewrites (masked GroupNorm, gather alignment, additive attention mask,
  codec/encoder split) equal to the transformers code;
* rewrites: the rewritten pieces against the transformers pieces directly.
A check fails below cos 0.9999 (fp32) / 0.999 (fp16), measured per batch sample (minimum).
"""
import os

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

from . import inputs as graph_inputs_mod
from .graphs import Graph, masked_group_norm, nearest_indices

MIN_COSINE = {"fp32": 0.9999, "fp16": 0.999}


class ParityError(SystemExit):
    pass


def compare(reference, actual) -> dict:
    """Cosine (whole tensor and minimum per batch sample) and max abs error."""
    ref = np.asarray(reference, dtype=np.float64)
    act = np.asarray(actual, dtype=np.float64)
    if ref.shape != act.shape:
        return {"shape": list(act.shape), "referenceShape": list(ref.shape), "minCosine": -1.0}

    def cosine(a, b):
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na == 0 and nb == 0:
            return 1.0
        return float(a @ b / max(na * nb, 1e-300))

    per_sample = [cosine(ref[i].ravel(), act[i].ravel()) for i in range(ref.shape[0])]
    return {"shape": list(ref.shape), "cosine": cosine(ref.ravel(), act.ravel()), "minCosine": min(per_sample),
            "maxAbsError": float(np.abs(ref - act).max()), "maxAbsReference": float(np.abs(ref).max())}


def session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = min(4, os.cpu_count() or 1)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_graph_check(graph: Graph, onnx_path, example: dict) -> dict:
    """ORT vs the torch wrapper (float32) on one input batch."""
    with torch.no_grad():
        reference = graph.module(*(example[s.name] for s in graph.inputs))
    reference = [reference] if isinstance(reference, torch.Tensor) else list(reference)
    actual = session(onnx_path).run([s.name for s in graph.outputs], {k: v.numpy() for k, v in example.items()})
    return {
        "inputs": {k: list(v.shape) for k, v in example.items()},
        "outputs": {spec.name: compare(ref.numpy(), act) for spec, ref, act in zip(graph.outputs, reference, actual)},
    }


def verdict(report: dict, precision: str) -> list:
    """Every (where, minCosine) below the precision's threshold."""
    limit, failures = MIN_COSINE[precision], []

    def walk(node, where):
        if isinstance(node, dict):
            if "minCosine" in node and node["minCosine"] < limit:
                failures.append((where, node["minCosine"]))
            for key, value in node.items():
                walk(value, f"{where}.{key}" if where else key)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")
    walk(report, "")
    return failures


# ------------------------------------------------------------------------------------------------
# rewrites vs transformers pieces

def check_masked_group_norm(norm_module, generator: torch.Generator) -> dict:
    """graphs.masked_group_norm vs transformers' Pe*MaskedGroupNorm on a padded batch."""
    channels = norm_module.num_channels
    x = torch.randn(3, channels, 17, generator=generator)
    lengths = torch.tensor([17, 11, 4])
    mask = torch.arange(17)[None, :] < lengths[:, None]
    with torch.no_grad():
        reference = norm_module(x, padding_mask=mask[:, None, :].expand_as(x))
        ours = masked_group_norm(norm_module, x, mask)
    return compare(reference.numpy(), ours.numpy())


def check_nearest_indices(max_video: int = 64, max_audio: int = 400) -> dict:
    """graphs.nearest_indices vs F.interpolate(mode="nearest") for every (video, audio) length pair."""
    mismatches, pairs = 0, 0
    for video_length in range(1, max_video + 1):
        source = torch.arange(video_length, dtype=torch.float32)[None, None, :]
        for audio_length in range(1, max_audio + 1):
            expected = F.interpolate(source, size=audio_length, mode="nearest")[0, 0].to(torch.int64)
            ours = nearest_indices(torch.tensor([video_length]), torch.tensor([audio_length]), audio_length)[0]
            mismatches += int((expected != ours).sum())
            pairs += 1
    return {"videoLengths": [1, max_video], "audioLengths": [1, max_audio], "pairs": pairs,
            "mismatchedIndices": mismatches}


# ------------------------------------------------------------------------------------------------
# end to end: ONNX chain vs transformers forward()

def _text_batch(loaded, generator, batch, length, special_ids):
    vocab = loaded.model.config.text_config.vocab_size
    return graph_inputs_mod.token_batch(generator, batch, length, vocab, special_ids)


def _audio_batch(generator, hop, frames_per_sample):
    """Waveforms zero-padded to the longest (as PeAudioFeatureExtractor pads a batch) + sample mask."""
    frames = max(frames_per_sample)
    wave = 0.1 * torch.randn(len(frames_per_sample), 1, frames * hop, generator=generator)
    sample_mask = torch.zeros(len(frames_per_sample), frames * hop, dtype=torch.bool)
    for i, n in enumerate(frames_per_sample):
        sample_mask[i, : n * hop] = True
    return wave * sample_mask[:, None, :], sample_mask


def _pixel_batch(generator, size, frames_per_sample):
    frames = max(frames_per_sample)
    pixels = 2 * torch.rand(len(frames_per_sample), frames, 3, size, size, generator=generator) - 1
    mask = torch.arange(frames)[None, :] < torch.tensor(frames_per_sample)[:, None]
    return pixels * mask[:, :, None, None, None], mask


def end_to_end(bundle_graphs: dict, loaded, generator, special_ids, codec_key="audio_codec") -> dict:
    """Runs the model's graphs chained in ORT and the transformers forward() on the same raw inputs.
    `bundle_graphs` maps graph key -> (Graph, onnx path)."""
    kind, model = loaded.kind, loaded.model
    sessions = {key: session(path) for key, (_, path) in bundle_graphs.items()}
    text_key = next(k for k, (g, _) in bundle_graphs.items() if g.role == "text_encoder" and g.owner == kind)
    text_graph = bundle_graphs[text_key][0]
    results = {}
    cases = [("padded", [9, 6], [5, 3])]
    if kind == "pe_audio_video":
        cases.append(("unpadded", [8, 8], [3, 3]))
    for case, audio_frames, video_frames in cases:
        ids, attention = _text_batch(loaded, generator, 2, 9, special_ids)
        kwargs = {"input_ids": ids, "attention_mask": attention}
        ort_out = {}
        text = sessions[text_key].run(None, {"input_ids": ids.numpy(), "attention_mask": attention.numpy()})
        ort_out.update({s.name: v for s, v in zip(text_graph.outputs, text)})
        padded = case == "padded"
        if "audio" in loaded.constants:
            hop = loaded.constants["audio"]["hopSamples"]
            wave, sample_mask = _audio_batch(generator, hop, audio_frames)
            kwargs["input_values"] = wave
            if padded:
                kwargs["padding_mask"] = sample_mask
            features = sessions[codec_key].run(None, {"waveform": wave.numpy()})[0]
            audio_mask = sample_mask[:, ::hop].numpy()
            audio_key = "frame_level_audio" if kind == "pe_audio_frame" else "audio_encoder"
            ort_out.update(zip([s.name for s in bundle_graphs[audio_key][0].outputs],
                               sessions[audio_key].run(None, {"audio_features": features, "audio_mask": audio_mask})))
        if "video" in loaded.constants:
            size = loaded.constants["video"]["imageSize"]
            pixels, video_mask = _pixel_batch(generator, size, video_frames)
            kwargs["pixel_values_videos"] = pixels
            if padded:
                kwargs["padding_mask_videos"] = video_mask
            b, n = pixels.shape[:2]
            frame_features = sessions["frame_encoder"].run(
                None, {"pixel_values": pixels.reshape(b * n, 3, size, size).numpy()})[0].reshape(b, n, -1)
            ort_out["video_embedding"] = sessions["video_encoder"].run(
                None, {"frame_features": frame_features, "video_mask": video_mask.numpy()})[0]
            if kind == "pe_audio_video":
                ort_out["audio_video_embedding"] = sessions["av_encoder"].run(None, {
                    "audio_features": features, "audio_mask": audio_mask,
                    "frame_features": frame_features, "video_mask": video_mask.numpy()})[0]
        with torch.no_grad():
            out = model(**kwargs, return_dict=True)
        pairs = _reference_pairs(kind, out)
        results[case] = {
            "audioFrames": audio_frames if "audio" in loaded.constants else None,
            "videoFrames": video_frames if "video" in loaded.constants else None,
            "outputs": {ours: compare(reference.numpy(), ort_out[ours]) for ours, reference in pairs.items()},
        }
    return results


def _reference_pairs(kind: str, out) -> dict:
    """Our output name -> the transformers forward() output it must equal."""
    if kind == "pe_audio_video":
        return {"audio_embedding": out.audio_embeds, "video_embedding": out.video_embeds,
                "audio_video_embedding": out.audio_video_embeds, "text_audio": out.text_audio_embeds,
                "text_video": out.text_video_embeds, "text_audio_video": out.text_audio_video_embeds}
    if kind == "pe_audio_frame":
        return {"frame_embeddings": out.audio_embeds, "text_frame_audio": out.text_audio_embeds}
    if kind == "pe_audio":
        return {"audio_embedding": out.audio_embeds, "text_audio": out.text_audio_embeds}
    return {"video_embedding": out.video_embeds, "text_video": out.text_video_embeds}
