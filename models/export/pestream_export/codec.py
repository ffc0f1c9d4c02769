"""The codec overlap: how much left/right context a chunk of audio needs so that the DAC encoder's
features for the chunk equal the whole-clip features.

Every conv in the DAC-VAE encoder pads symmetrically with zeros, so a feature frame near a chunk edge
sees zeros where the whole clip has real samples. A frame is exact once its receptive field lies inside
the chunk. `receptive_field` walks the encoder's convs (from the model's own modules) and returns the
samples the receptive field reaches left and right of the frame's own 1920 samples; the overlap in
frames is that rounded up to whole frames. `measure_chunking` checks it numerically.
"""
import math

import numpy as np
import torch
from torch import nn


def _conv_chain(dac_encoder: nn.Module, bottleneck: nn.Module) -> list:
    """The encoder's Conv1d layers in forward order (residual branches included: their receptive
    field contains the identity path's)."""
    convs = [dac_encoder.conv1]
    for block in dac_encoder.block:
        for unit in (block.res_unit1, block.res_unit2, block.res_unit3):
            convs += [unit.conv1, unit.conv2]
        convs.append(block.conv1)
    convs += [dac_encoder.conv2, bottleneck]
    return convs


def receptive_field(dac_encoder: nn.Module, bottleneck: nn.Module) -> dict:
    """Left/right reach, in samples, of one output frame beyond its own hop of samples."""
    convs = _conv_chain(dac_encoder, bottleneck)
    hop = math.prod(c.stride[0] for c in convs)
    frame = 10_000                                  # any interior frame: the reach is shift-invariant
    lo, hi = frame, frame
    for conv in reversed(convs):
        stride, pad = conv.stride[0], conv.padding[0]
        if isinstance(pad, str):
            raise ValueError(f"unexpected padding {pad!r} in the codec")
        reach = (conv.kernel_size[0] - 1) * conv.dilation[0]
        lo, hi = lo * stride - pad, hi * stride - pad + reach
    left = frame * hop - lo
    right = hi - ((frame + 1) * hop - 1)
    return {"hopSamples": hop, "leftSamples": int(left), "rightSamples": int(right),
            "contextFrames": int(math.ceil(max(left, right) / hop))}


def chunked_features(run_codec, waveform: np.ndarray, chunk_frames: int, context_frames: int, hop: int) -> np.ndarray:
    """Codec features of `waveform` [samples] computed chunk by chunk: each chunk of `chunk_frames`
    frames is encoded with up to `context_frames` frames of real audio on each side (less at the clip's
    ends) and only its own frames are kept. `run_codec` maps [1,1,samples] -> [1,frames,D]."""
    total = len(waveform) // hop
    out = []
    for start in range(0, total, chunk_frames):
        end = min(total, start + chunk_frames)
        left = min(context_frames, start)
        right = min(context_frames, total - end)
        piece = waveform[(start - left) * hop:(end + right) * hop]
        features = run_codec(piece[None, None, :].astype(np.float32))[0]
        out.append(features[left:left + (end - start)])
    return np.concatenate(out, axis=0)


def measure_chunking(run_codec, hop: int, context_frames: int, *, frames: int = 40, chunk_frames: int = 7,
                     seed: int = 0) -> dict:
    """Max abs difference between chunked and whole-clip features for every overlap from 0 to
    `context_frames` frames, on a random clip."""
    rng = np.random.default_rng(seed)
    waveform = (0.1 * rng.standard_normal(frames * hop)).astype(np.float32)
    whole = run_codec(waveform[None, None, :])[0]
    scale = float(np.abs(whole).max())
    sweep = []
    for context in range(context_frames + 1):
        error = float(np.abs(chunked_features(run_codec, waveform, chunk_frames, context, hop) - whole).max())
        sweep.append({"contextFrames": context, "maxAbsError": error, "relativeError": error / max(scale, 1e-30)})
    return {"frames": frames, "chunkFrames": chunk_frames, "wholeMaxAbs": scale, "sweep": sweep}


def torch_codec_runner(codec_module: nn.Module):
    def run(waveform: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return codec_module(torch.from_numpy(waveform)).numpy()
    return run
