"""Random inputs for a graph's manifest specs: batches with real padding (one sample full length,
the others shorter) so that masks are exercised."""
import torch

from .graphs import Graph


def lengths(generator: torch.Generator, batch: int, full: int) -> torch.Tensor:
    """Sample 0 is full length; the others are between half and full length."""
    out = torch.randint(max(1, full // 2), full + 1, (batch,), generator=generator)
    out[0] = full
    return out


def mask_from(lengths_: torch.Tensor, full: int) -> torch.Tensor:
    return torch.arange(full)[None, :] < lengths_[:, None]


def graph_inputs(graph: Graph, generator: torch.Generator, *, batch: int, frames: int, video_frames: int,
                 length: int, hop_samples: int, vocab_size: int, special_ids: dict) -> dict:
    """One random input per spec of `graph` (dims: batch, frames, video_frames, length)."""
    sizes = {"batch": batch, "frames": frames, "video_frames": video_frames, "length": length,
             "samples": frames * hop_samples}
    out = {}
    for spec in graph.inputs:
        shape = [sizes[d] if isinstance(d, str) else d for d in spec.shape]
        if spec.name == "waveform":
            out[spec.name] = 0.1 * torch.randn(shape, generator=generator)
        elif spec.name == "pixel_values":
            out[spec.name] = 2 * torch.rand(shape, generator=generator) - 1
        elif spec.name == "frame_features":
            out[spec.name] = torch.nn.functional.normalize(torch.randn(shape, generator=generator), dim=-1)
        elif spec.name == "audio_features":
            out[spec.name] = torch.randn(shape, generator=generator)
        elif spec.name in ("audio_mask", "video_mask"):
            out[spec.name] = mask_from(lengths(generator, batch, shape[1]), shape[1])
        elif spec.name == "input_ids":
            out[spec.name], out["attention_mask"] = token_batch(generator, batch, length, vocab_size, special_ids)
        elif spec.name == "attention_mask":
            continue
        else:
            raise ValueError(f"no input generator for {spec.name}")
    return out


def token_batch(generator, batch: int, length: int, vocab_size: int, special_ids: dict):
    """[CLS] random tokens [SEP] [PAD]..., as a tokenizer with padding produces."""
    specials = set(special_ids.values())
    ids = torch.randint(0, vocab_size, (batch, length), generator=generator)
    for value in specials:                      # keep specials out of the random body
        ids[ids == value] = (value + len(specials) + 7) % vocab_size
    lens = lengths(generator, batch, length).clamp(min=2)
    mask = mask_from(lens, length)
    ids[:, 0] = special_ids["cls"]
    for i, n in enumerate(lens.tolist()):
        ids[i, n - 1] = special_ids["sep"]
        ids[i, n:] = special_ids["pad"]
    return ids, mask.to(torch.int64)
