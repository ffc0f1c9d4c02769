"""The split graphs of a bundle, as torch modules built from a transformers PE model's own submodules.

Each wrapper reproduces a slice of the transformers forward pass (transformers 5.24,
models/pe_audio, pe_video, pe_audio_video) with three equivalent rewrites that export cleanly:

* masked GroupNorm (`torch.masked.mean/var` in transformers) as masked sums (`masked_group_norm`);
* the per-sample Python loop aligning video to audio frames (nearest neighbour) as a gather
  (`align_nearest`); the float32 index arithmetic is the same as `F.interpolate(mode="nearest")`;
* the attention mask as an additive key-padding mask built in the graph.

parity.py proves each rewrite against the untouched transformers code path.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .loading import LoadedModel


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str               # float32 | int64 | bool
    shape: tuple             # ints and symbolic dim names


@dataclass
class Graph:
    """One exportable graph: its key in the manifest, its role, I/O specs and the torch module."""
    key: str
    role: str
    module: nn.Module
    inputs: list
    outputs: list
    owner: str               # model kind whose weights it holds


def masked_group_norm(norm: nn.GroupNorm, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """GroupNorm over the real (mask=True) time steps only, zero at padded steps: the same
    result as transformers' Pe*MaskedGroupNorm(x, mask expanded to x). Statistics in float32."""
    batch, channels, steps = x.shape
    groups = norm.num_groups
    xf = x.float().reshape(batch, groups, channels // groups, steps)
    m = mask.to(torch.float32)[:, None, None, :]
    count = (m.sum(dim=(2, 3), keepdim=True) * (channels // groups)).clamp(min=1.0)
    mean = (xf * m).sum(dim=(2, 3), keepdim=True) / count
    var = (((xf - mean) * m) ** 2).sum(dim=(2, 3), keepdim=True) / count
    normed = ((xf - mean) / torch.sqrt(var + norm.eps)).reshape(batch, channels, steps).to(x.dtype)
    if norm.affine:
        normed = normed * norm.weight.view(1, -1, 1) + norm.bias.view(1, -1, 1)
    return normed * mask.to(x.dtype)[:, None, :]


def patch_embed(patch_embedder: nn.Module, inputs_embeds: torch.Tensor, mask: torch.Tensor):
    """Pe*EncoderPatchEmbedder.forward: CLS token + masked ResNet block (mask of CLS = mask of frame 0)."""
    batch = inputs_embeds.shape[0]
    hidden = torch.cat([patch_embedder.class_embedding.expand(batch, -1, -1), inputs_embeds], dim=1)
    mask = torch.cat([mask[:, :1], mask], dim=1)
    hidden = hidden.transpose(1, 2)
    residual = hidden
    resnet = patch_embedder.resnet_block
    for block in (resnet.block1, resnet.block2):
        hidden = block.project(block.activation(masked_group_norm(block.groupnorm, hidden, mask)))
    return (residual + hidden).transpose(1, 2), mask


def encode(encoder: nn.Module, inputs_embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The transformer of a Pe{Audio,Video,AudioVideo}Encoder after its embedder: returns the hidden
    states [B, 1 + T, H] after norm and output projection (index 0 = CLS)."""
    hidden, mask = patch_embed(encoder.patch_embedder, inputs_embeds, mask)
    key_padding = (~mask)[:, None, None, :].to(hidden.dtype) * torch.finfo(hidden.dtype).min
    position_ids = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0)
    position_embeddings = encoder.rotary_emb(hidden, position_ids)
    for layer in encoder.layers[: encoder.config.num_hidden_layers]:
        hidden = layer(hidden, attention_mask=key_padding, position_embeddings=position_embeddings)
    return encoder.output(encoder.norm(hidden))


def nearest_indices(video_lengths: torch.Tensor, audio_lengths: torch.Tensor, frames: int) -> torch.Tensor:
    """Source index of each of `frames` target positions, per sample: F.interpolate(mode="nearest")
    from video_length to audio_length, i.e. min(floor(j * float32(v / a)), v - 1)."""
    scale = video_lengths.to(torch.float32) / audio_lengths.to(torch.float32).clamp(min=1.0)
    positions = torch.arange(frames, device=video_lengths.device).to(torch.float32)
    index = torch.floor(positions[None, :] * scale[:, None]).to(torch.int64)
    return torch.minimum(index, (video_lengths - 1).clamp(min=0)[:, None])


def align_nearest(video: torch.Tensor, video_mask: torch.Tensor, audio_mask: torch.Tensor) -> torch.Tensor:
    """PeAudioVideoEncoderEmbedder._align_video_hidden_state's per-sample loop as a gather: the real
    video frames of each sample are stretched (nearest) over its real audio frames, zero beyond."""
    batch, _, dim = video.shape
    frames = audio_mask.shape[1]
    video_lengths = video_mask.to(torch.int64).sum(dim=1)
    audio_lengths = audio_mask.to(torch.int64).sum(dim=1)
    index = nearest_indices(video_lengths, audio_lengths, frames)
    gathered = torch.gather(video, 1, index[:, :, None].expand(batch, frames, dim))
    positions = torch.arange(frames, device=video.device)
    valid = (positions[None, :] < audio_lengths[:, None]) & (video_lengths[:, None] > 0)
    return gathered * valid[:, :, None].to(video.dtype)


class AudioCodec(nn.Module):
    """waveform [B,1,samples] -> codec features [B,frames,128]: DAC-VAE encoder + bottleneck."""

    def __init__(self, audio_encoder):
        super().__init__()
        self.dac_encoder = audio_encoder.embedder.dac_encoder
        self.bottleneck = audio_encoder.embedder.bottleneck

    def forward(self, waveform):
        return self.bottleneck(self.dac_encoder(waveform)).transpose(1, 2)


class AudioEncoder(nn.Module):
    """codec features + frame mask -> audio embedding (CLS through the audio head), or per-frame
    embeddings (PE-A-Frame) when `frame_level`."""

    def __init__(self, audio_encoder, audio_head, frame_level: bool):
        super().__init__()
        self.encoder, self.head, self.frame_level = audio_encoder, audio_head, frame_level

    def forward(self, audio_features, audio_mask):
        hidden = encode(self.encoder, self.encoder.embedder.data_proj(audio_features), audio_mask)
        return self.head(hidden[:, 1:] if self.frame_level else hidden[:, 0])


class FrameEncoder(nn.Module):
    """pixels [B,3,S,S] -> L2-normalised PE-Core frame features [B,Df] (PeVideoEncoderEmbedder's
    vision_model + F.normalize)."""

    def __init__(self, video_encoder):
        super().__init__()
        self.vision_model = video_encoder.embedder.vision_model

    def forward(self, pixel_values):
        return F.normalize(self.vision_model(pixel_values).logits, dim=-1)


def video_inputs_embeds(video_encoder, frame_features):
    embedder = video_encoder.embedder
    return embedder.data_proj(embedder.proj(frame_features))


class VideoEncoder(nn.Module):
    """frame features + frame mask -> video embedding."""

    def __init__(self, video_encoder, video_head):
        super().__init__()
        self.encoder, self.head = video_encoder, video_head

    def forward(self, frame_features, video_mask):
        hidden = encode(self.encoder, video_inputs_embeds(self.encoder, frame_features), video_mask)
        return self.head(hidden[:, 0])


class AudioVideoEncoder(nn.Module):
    """audio features + frame features (+ masks) -> audio-video embedding (PeAudioVideoEncoder)."""

    def __init__(self, audio_video_encoder, audio_video_head):
        super().__init__()
        self.encoder, self.head = audio_video_encoder, audio_video_head

    def forward(self, audio_features, audio_mask, frame_features, video_mask):
        embedder = self.encoder.embedder
        audio = encode(embedder.audio_encoder, embedder.audio_encoder.embedder.data_proj(audio_features),
                       audio_mask)[:, 1:]
        video = encode(embedder.video_encoder, video_inputs_embeds(embedder.video_encoder, frame_features),
                       video_mask)[:, 1:]
        video = embedder.video_proj(video.transpose(1, 2)).transpose(1, 2)
        video = embedder.video_norm(align_nearest(video, video_mask, audio_mask))
        inputs_embeds = embedder.data_proj(embedder.concat_modality_proj(torch.cat([audio, video], dim=-1)))
        return self.head(encode(self.encoder, inputs_embeds, audio_mask)[:, 0])


def text_attention_masks(text_config, attention_mask: torch.Tensor, dtype: torch.dtype) -> dict:
    """ModernBERT's masks per layer type, built here and handed to ModernBertModel.forward (it accepts
    a {layer_type: mask} mapping): key padding for full attention, key padding and the bidirectional
    window |q - k| <= config.sliding_window for sliding attention (transformers' masking_utils rule).
    Under torch.export transformers' own mask builder proved fragile: in one export session it dropped
    the sliding-layer mask entirely."""
    valid = attention_mask.to(torch.bool)
    minimum = torch.finfo(dtype).min
    full = (~valid)[:, None, None, :].to(dtype) * minimum
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    window = (positions[None, :] - positions[:, None]).abs() <= text_config.sliding_window
    allowed = window[None, None, :, :] & valid[:, None, None, :]
    sliding = (~allowed).to(dtype) * minimum
    return {"full_attention": full, "sliding_attention": sliding}


class TextEncoder(nn.Module):
    """input_ids + attention_mask -> one embedding per head. The pooled text feature is
    `hidden_states[-1][:, 0]` as in transformers' PE models; with ModernBERT's default
    tie_last_hidden_states that is last_hidden_state[:, 0] (after the final norm)."""

    def __init__(self, text_model, heads: dict):
        super().__init__()
        self.text_model = text_model
        self.heads = nn.ModuleList(heads.values())
        tie = getattr(text_model.config, "tie_last_hidden_states", None)
        self.pooled_after_norm = True if tie is None else bool(tie)

    def forward(self, input_ids, attention_mask):
        masks = text_attention_masks(self.text_model.config, attention_mask,
                                     self.text_model.embeddings.tok_embeddings.weight.dtype)
        if self.pooled_after_norm:
            pooled = self.text_model(input_ids=input_ids, attention_mask=masks).last_hidden_state[:, 0]
        else:
            pooled = self.text_model(input_ids=input_ids, attention_mask=masks,
                                     output_hidden_states=True).hidden_states[-1][:, 0]
        return tuple(head(pooled) for head in self.heads)


# ---------------------------------------------------------------------------------------------
# Graph plan per model kind

def _audio_parts(loaded: LoadedModel):
    model = loaded.model
    if loaded.kind == "pe_audio_video":
        return model.audio_model.audio_encoder, model.audio_model.audio_head
    return model.audio_encoder, model.audio_head


def _video_parts(loaded: LoadedModel):
    model = loaded.model
    if loaded.kind == "pe_audio_video":
        return model.video_model.video_encoder, model.video_model.video_head
    return model.video_encoder, model.video_head


def text_heads(loaded: LoadedModel) -> dict:
    """Head name -> (text head module, logit scale, logit bias) of a model."""
    model = loaded.model
    if loaded.kind == "pe_audio_video":
        return {
            "audio": (model.audio_model.text_audio_head, model.audio_model.text_audio_logit_scale,
                      model.audio_model.text_audio_logit_bias),
            "video": (model.video_model.text_video_head, model.video_model.text_video_logit_scale,
                      model.video_model.text_video_logit_bias),
            "audio_video": (model.text_audio_video_head, model.text_audio_video_logit_scale,
                            model.text_audio_video_logit_bias),
        }
    if loaded.kind == "pe_audio_frame":
        return {"frame_audio": (model.text_audio_head, model.text_audio_logit_scale, model.text_audio_logit_bias)}
    if loaded.kind == "pe_audio":
        return {"audio": (model.text_audio_head, model.text_audio_logit_scale, model.text_audio_logit_bias)}
    return {"video": (model.text_video_head, model.text_video_logit_scale, model.text_video_logit_bias)}


def codec_modules(loaded: LoadedModel) -> list:
    """Every (name, module) holding DAC weights the audio_codec graph stands for in this model."""
    encoder, _ = _audio_parts(loaded)
    parts = [("audio_encoder.embedder", encoder.embedder)]
    if loaded.kind == "pe_audio_video":
        parts.append(("audio_video_encoder.embedder.audio_encoder.embedder",
                      loaded.model.audio_video_encoder.embedder.audio_encoder.embedder))
    return [(name, nn.ModuleList([m.dac_encoder, m.bottleneck])) for name, m in parts]


def plan_graphs(loaded: LoadedModel, text_key: str, include_codec: bool) -> list:
    """The graphs of one model, with their manifest I/O specs."""
    graphs = []
    model, kind = loaded.model, loaded.kind
    embedding_dim = model.config.text_config.hidden_size
    if kind in ("pe_audio_video", "pe_audio_frame", "pe_audio"):
        feature_dim = loaded.constants["audio"]["featureDim"]
        audio_encoder, audio_head = _audio_parts(loaded)
        audio_in = [TensorSpec("audio_features", "float32", ("batch", "frames", feature_dim)),
                    TensorSpec("audio_mask", "bool", ("batch", "frames"))]
        if include_codec:
            graphs.append(Graph("audio_codec", "audio_codec", AudioCodec(audio_encoder),
                                [TensorSpec("waveform", "float32", ("batch", 1, "samples"))],
                                [TensorSpec("features", "float32", ("batch", "frames", feature_dim))], kind))
        if kind == "pe_audio_frame":
            graphs.append(Graph("frame_level_audio", "frame_level_audio",
                                AudioEncoder(audio_encoder, audio_head, frame_level=True), audio_in,
                                [TensorSpec("frame_embeddings", "float32", ("batch", "frames", embedding_dim))],
                                kind))
        else:
            graphs.append(Graph("audio_encoder", "audio_encoder",
                                AudioEncoder(audio_encoder, audio_head, frame_level=False), audio_in,
                                [TensorSpec("audio_embedding", "float32", ("batch", embedding_dim))], kind))
    if kind in ("pe_audio_video", "pe_video"):
        frame_dim = loaded.constants["video"]["frameFeatureDim"]
        size = loaded.constants["video"]["imageSize"]
        video_encoder, video_head = _video_parts(loaded)
        video_in = [TensorSpec("frame_features", "float32", ("batch", "video_frames", frame_dim)),
                    TensorSpec("video_mask", "bool", ("batch", "video_frames"))]
        graphs.append(Graph("frame_encoder", "frame_encoder", FrameEncoder(video_encoder),
                            [TensorSpec("pixel_values", "float32", ("batch", 3, size, size))],
                            [TensorSpec("frame_features", "float32", ("batch", frame_dim))], kind))
        graphs.append(Graph("video_encoder", "video_encoder", VideoEncoder(video_encoder, video_head), video_in,
                            [TensorSpec("video_embedding", "float32", ("batch", embedding_dim))], kind))
    if kind == "pe_audio_video":
        feature_dim = loaded.constants["audio"]["featureDim"]
        av_in = [TensorSpec("audio_features", "float32", ("batch", "frames", feature_dim)),
                 TensorSpec("audio_mask", "bool", ("batch", "frames")),
                 TensorSpec("frame_features", "float32", ("batch", "video_frames", frame_dim)),
                 TensorSpec("video_mask", "bool", ("batch", "video_frames"))]
        graphs.append(Graph("av_encoder", "av_encoder",
                            AudioVideoEncoder(model.audio_video_encoder, model.audio_video_head), av_in,
                            [TensorSpec("audio_video_embedding", "float32", ("batch", embedding_dim))], kind))
    heads = text_heads(loaded)
    graphs.append(Graph(text_key, "text_encoder",
                        TextEncoder(model.text_model, {name: head for name, (head, _, _) in heads.items()}),
                        [TensorSpec("input_ids", "int64", ("batch", "length")),
                         TensorSpec("attention_mask", "int64", ("batch", "length"))],
                        [TensorSpec(f"text_{name}", "float32", ("batch", embedding_dim)) for name in heads], kind))
    return graphs
