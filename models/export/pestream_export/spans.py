"""The reference span rule of PE-A-Frame (perception_models, PEAudioFrame.forward): frames whose
probability exceeds the threshold, each maximal run of them one span [first * hop / sr,
(last + 1) * hop / sr]; no smoothing, no minimum length, no gap merging. Padded frames are not masked by
the reference, so spans are clipped to the clip's real duration here."""
import numpy as np

# PEAudioFrame.forward(threshold=0.3) in perception_models core/audio_visual_encoder/pe.py: the
# reference default; it is not part of the transformers config or processor.
REFERENCE_THRESHOLD = 0.3


def probabilities(frame_embeddings: np.ndarray, text_embedding: np.ndarray, scale: float, bias: float) -> np.ndarray:
    """sigmoid(dot(frame, text) * scale + bias) per frame, raw (not normalised) embeddings."""
    logits = frame_embeddings.astype(np.float64) @ text_embedding.astype(np.float64) * scale + bias
    return 1.0 / (1.0 + np.exp(-logits))


def spans(probs, threshold: float, hop_samples: int, sample_rate: int, duration_s: float) -> list:
    """[[start_s, end_s], ...] of the maximal runs of prob > threshold (compared in float32), clipped
    to duration_s; a span that starts at or after the duration is dropped."""
    # float32 like the reference: torch compares a float32 tensor with a Python float in float32
    above = np.concatenate([[False], np.asarray(probs, dtype=np.float32) > np.float32(threshold), [False]])
    changes = np.flatnonzero(np.diff(above.astype(np.int8)))
    out = []
    for first, end in zip(changes[::2], changes[1::2]):      # end = last + 1
        start_s = first * hop_samples / sample_rate
        end_s = min(end * hop_samples / sample_rate, duration_s)
        if start_s < duration_s:
            out.append([start_s, end_s])
    return out
