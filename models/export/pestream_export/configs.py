"""Named model configurations for `--random-init` exports.

`tiny` is a combined PE-AV + PE-A-Frame pair small enough to commit as a CI fixture; the `default-*`
names are transformers' own default configurations (the per-size hub configs are not reachable here),
used for size and speed measurements. Random weights are never real model output.
"""
from dataclasses import dataclass

from transformers import (
    PeAudioConfig,
    PeAudioVideoConfig,
    PeVideoConfig,
    PeVideoEncoderConfig,
)

# Model kinds the exporter knows, keyed by the `architectures` entry of a checkpoint's config.json.
KIND_BY_ARCHITECTURE = {
    "PeAudioVideoModel": "pe_audio_video",
    "PeAudioFrameLevelModel": "pe_audio_frame",
    "PeAudioModel": "pe_audio",
    "PeVideoModel": "pe_video",
}

# Special-token ids of the tiny text config (the random-init tokenizer is built to match the config).
TINY_SPECIAL_IDS = {"[PAD]": 0, "[CLS]": 2, "[SEP]": 3}
TINY_VOCAB_SIZE = 256

_TINY_TEXT = dict(
    vocab_size=TINY_VOCAB_SIZE, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
    num_attention_heads=2, max_position_embeddings=64, local_attention=16,
    pad_token_id=TINY_SPECIAL_IDS["[PAD]"], cls_token_id=TINY_SPECIAL_IDS["[CLS]"],
    sep_token_id=TINY_SPECIAL_IDS["[SEP]"], bos_token_id=TINY_SPECIAL_IDS["[CLS]"],
    eos_token_id=TINY_SPECIAL_IDS["[SEP]"],
)
# The DAC strides stay the real ones (hop 1920 = 40 ms at 48 kHz) and so does the 128-d codec output;
# only the channel widths shrink.
_TINY_DAC = dict(encoder_hidden_size=2, hidden_size=16, codebook_dim=128, downsampling_ratios=[2, 8, 10, 12])
_TINY_TRANSFORMER = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                         head_dim=16, max_position_embeddings=4096)
_TINY_VISION = dict(architecture="vit_pe_core_tiny_patch16_384", num_classes=24, num_labels=24,
                    global_pool="map", do_pooling=True,
                    model_args=dict(img_size=32, embed_dim=32, depth=1, num_heads=2))


@dataclass(frozen=True)
class ModelSpec:
    """One model to build: its kind and its transformers config."""
    kind: str
    config: object


def restore_vision_num_labels(config):
    """transformers 5.24 builds nested TimmWrapperConfigs from dicts without mapping `num_classes`
    to `num_labels`: the vision head gets 2 outputs, and a PE-AV / PE-Video checkpoint it saved itself
    no longer loads (size mismatch). num_labels := the config's own num_classes (the default's when
    the config has none)."""
    # PeAudioVideoConfig.video_config is a property building a fresh PeVideoConfig: go through
    # audio_video_config, which holds the encoder configs themselves
    holder = config.audio_video_config if hasattr(config, "audio_video_config") else config
    vision = holder.video_config.vision_config
    wanted = getattr(vision, "num_classes", None) or \
        PeVideoEncoderConfig.sub_configs_defaults["vision_config"].init_kwargs["num_classes"]
    if vision.num_labels != wanted:
        vision.num_labels = wanted
    return config


def tiny_av_config():
    return PeAudioVideoConfig(text_config=dict(_TINY_TEXT), audio_video_config=dict(
        **_TINY_TRANSFORMER,
        audio_config=dict(**_TINY_TRANSFORMER, dac_config=dict(_TINY_DAC)),
        video_config=dict(**_TINY_TRANSFORMER, vision_config=dict(_TINY_VISION))))


def tiny_frame_config():
    return PeAudioConfig(text_config=dict(_TINY_TEXT),
                         audio_config=dict(**_TINY_TRANSFORMER, dac_config=dict(_TINY_DAC)))


NAMED_CONFIGS = {
    "tiny": lambda: [ModelSpec("pe_audio_video", tiny_av_config()), ModelSpec("pe_audio_frame", tiny_frame_config())],
    "tiny-av": lambda: [ModelSpec("pe_audio_video", tiny_av_config())],
    "tiny-frame": lambda: [ModelSpec("pe_audio_frame", tiny_frame_config())],
    "default-av": lambda: [ModelSpec("pe_audio_video", restore_vision_num_labels(PeAudioVideoConfig()))],
    "default-frame": lambda: [ModelSpec("pe_audio_frame", PeAudioConfig())],
    "default-audio": lambda: [ModelSpec("pe_audio", PeAudioConfig())],
    "default-video": lambda: [ModelSpec("pe_video", restore_vision_num_labels(PeVideoConfig()))],
}


def named_config(name: str) -> list:
    try:
        return NAMED_CONFIGS[name]()
    except KeyError:
        raise SystemExit(f"unknown --config {name!r}; known: {', '.join(sorted(NAMED_CONFIGS))}") from None
