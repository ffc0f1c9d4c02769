"""Loads the models to export: local checkpoint folders (offline) or random-init named configs.

Every preprocessing constant comes from the checkpoint's own config and processor files; where a
random-init model has no processor, the processor classes' own defaults (and timm's pretrained_cfg for
the vision tower) are used, and the manifest records which source each constant came from.
"""
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import configs

SUPPORTED_ARCHITECTURES = ", ".join(sorted(configs.KIND_BY_ARCHITECTURE))


class CheckpointError(SystemExit):
    """A checkpoint folder that cannot be exported, with a message saying why."""

    def __init__(self, message: str):
        super().__init__(f"checkpoint error: {message}")


@dataclass
class LoadedModel:
    kind: str                      # pe_audio_video | pe_audio_frame | pe_audio | pe_video
    model: torch.nn.Module
    source: str                    # checkpoint folder or "random-init:<config>"
    folder: Path | None            # checkpoint folder (None for random init)
    constants: dict = field(default_factory=dict)    # audio/video/text constants for the manifest
    sources: dict = field(default_factory=dict)      # where each constant came from


def _model_class(kind: str):
    import transformers
    return {
        "pe_audio_video": transformers.PeAudioVideoModel,
        "pe_audio_frame": transformers.PeAudioFrameLevelModel,
        "pe_audio": transformers.PeAudioModel,
        "pe_video": transformers.PeVideoModel,
    }[kind]


def has_audio(kind: str) -> bool:
    return kind in ("pe_audio_video", "pe_audio_frame", "pe_audio")


def has_video(kind: str) -> bool:
    return kind in ("pe_audio_video", "pe_video")


def _checkpoint_kind(folder: Path, kind_override: str | None) -> str:
    config_file = folder / "config.json"
    if not folder.is_dir():
        raise CheckpointError(f"{folder} is not a folder")
    if not config_file.is_file():
        raise CheckpointError(f"{folder} has no config.json: not a transformers checkpoint folder")
    try:
        config = json.loads(config_file.read_text())
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{config_file} is not valid JSON: {e}") from None
    if kind_override:
        return kind_override
    architectures = config.get("architectures") or []
    kinds = [configs.KIND_BY_ARCHITECTURE[a] for a in architectures if a in configs.KIND_BY_ARCHITECTURE]
    if not kinds:
        raise CheckpointError(
            f"{config_file}: architectures {architectures or '(none)'} (model_type "
            f"{config.get('model_type')!r}) is not one of {SUPPORTED_ARCHITECTURES}; "
            "pass --kind to say which model it is")
    return kinds[0]


def _weight_files(folder: Path) -> list:
    return sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin"))


def load_checkpoint(folder: Path, kind_override: str | None = None) -> LoadedModel:
    """Loads a local HF-format checkpoint folder without any hub access; fails on missing,
    unexpected or mis-shaped weights."""
    folder = Path(folder).resolve()
    kind = _checkpoint_kind(folder, kind_override)
    if not _weight_files(folder):
        raise CheckpointError(f"{folder} has no *.safetensors or pytorch_model*.bin weights")
    cls = _model_class(kind)
    try:
        config = cls.config_class.from_pretrained(str(folder), local_files_only=True)
        if has_video(kind):
            configs.restore_vision_num_labels(config)
        model, info = cls.from_pretrained(str(folder), config=config, local_files_only=True,
                                          output_loading_info=True, dtype=torch.float32)
    except Exception as e:  # transformers raises several types for a broken folder
        raise CheckpointError(f"{folder}: cannot load as {cls.__name__}: {type(e).__name__}: {e}") from None
    problems = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if problems:
        detail = "; ".join(f"{k}: {len(v)} (e.g. {sorted(map(str, v))[:3]})" for k, v in problems.items())
        raise CheckpointError(f"{folder} does not match {cls.__name__}'s config: {detail}")
    loaded = LoadedModel(kind=kind, model=model.eval(), source=str(folder), folder=folder)
    _read_constants(loaded)
    return loaded


def _codec_convs(model) -> list:
    return [m for name, m in model.named_modules()
            if isinstance(m, torch.nn.Conv1d) and (".dac_encoder." in name or name.endswith(".bottleneck"))]


def random_init(config_name: str, seed: int) -> list:
    """Builds the named config's models with random weights. Two departures from transformers' own
    init, both so that the random graphs behave like trained ones numerically: the logit scale and
    bias scalars (initialised to 0, i.e. every score 0.5) are drawn, and the codec's convs get a
    variance-preserving N(0, 1/fan_in) (trunc_normal(0.02) shrinks the signal through the 30-odd
    convs to ~1e-7, below float16's normal range)."""
    models = []
    for index, spec in enumerate(configs.named_config(config_name)):
        torch.manual_seed(seed + index)
        model = _model_class(spec.kind)(spec.config).eval()
        generator = torch.Generator().manual_seed(seed + 1000 + index)
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if name.endswith("logit_scale"):
                    parameter.copy_(5 + 10 * torch.rand(parameter.shape, generator=generator))
                elif name.endswith("logit_bias"):
                    parameter.copy_(-8 + 6 * torch.rand(parameter.shape, generator=generator))
            for conv in _codec_convs(model):
                fan_in = conv.in_channels * conv.kernel_size[0] // conv.groups
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) / math.sqrt(fan_in))
        loaded = LoadedModel(kind=spec.kind, model=model, source=f"random-init:{config_name}", folder=None)
        _read_constants(loaded)
        models.append(loaded)
    _share_codec(models)
    return models


def _share_codec(models: list):
    """A random-init combined bundle (PE-AV + PE-A-Frame) shares one audio_codec, as the exporter
    requires; the later models get the first model's random codec weights."""
    audio = [m for m in models if has_audio(m.kind)]
    if len(audio) < 2:
        return
    source = _codec_state(audio[0].model)
    for other in audio[1:]:
        for name, module in other.model.named_modules():
            if hasattr(module, "dac_encoder") and hasattr(module, "bottleneck"):
                module.dac_encoder.load_state_dict(source[0])
                module.bottleneck.load_state_dict(source[1])


def _codec_state(model):
    for _, module in model.named_modules():
        if hasattr(module, "dac_encoder") and hasattr(module, "bottleneck"):
            return module.dac_encoder.state_dict(), module.bottleneck.state_dict()
    raise ValueError("model has no codec")


def audio_encoder_config(loaded: LoadedModel):
    config = loaded.model.config
    if loaded.kind == "pe_audio_video":
        return config.audio_video_config.audio_config
    return config.audio_config


def video_encoder_config(loaded: LoadedModel):
    config = loaded.model.config
    if loaded.kind == "pe_audio_video":
        return config.audio_video_config.video_config
    return config.video_config


def _read_constants(loaded: LoadedModel):
    constants, sources = {}, {}
    if has_audio(loaded.kind):
        constants["audio"], sources["audio"] = _audio_constants(loaded)
    if has_video(loaded.kind):
        constants["video"], sources["video"] = _video_constants(loaded)
    constants["text"], sources["text"] = _text_constants(loaded)
    loaded.constants, loaded.sources = constants, sources


def _audio_constants(loaded: LoadedModel):
    from transformers import PeAudioFeatureExtractor
    dac = audio_encoder_config(loaded).dac_config
    extractor, source = None, "PeAudioFeatureExtractor defaults (random init: no preprocessor_config.json)"
    if loaded.folder is not None:
        if not (loaded.folder / "preprocessor_config.json").is_file():
            raise CheckpointError(f"{loaded.folder} has no preprocessor_config.json (the audio feature extractor)")
        extractor = PeAudioFeatureExtractor.from_pretrained(str(loaded.folder), local_files_only=True)
        source = f"{loaded.folder / 'preprocessor_config.json'}"
    else:
        extractor = PeAudioFeatureExtractor()
    hop = math.prod(dac.downsampling_ratios)
    if extractor.hop_length != hop:
        raise CheckpointError(f"feature extractor hop_length {extractor.hop_length} != the codec's total stride {hop}")
    if extractor.feature_size != 1:
        raise CheckpointError(f"feature extractor feature_size {extractor.feature_size}: only mono is supported")
    constants = {"sampleRate": int(extractor.sampling_rate), "hopSamples": int(extractor.hop_length),
                 "featureDim": int(dac.codebook_dim)}
    return constants, {"sampleRate": source, "hopSamples": source,
                       "featureDim": "dac_config.codebook_dim", "hopCheck": "prod(dac_config.downsampling_ratios)"}


_RESAMPLE_NAMES = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


def _video_constants(loaded: LoadedModel):
    from transformers import PeVideoVideoProcessor
    vision_config = video_encoder_config(loaded).vision_config
    vision = _vision_model(loaded)
    timm_model = vision.timm_model
    processor = None
    if loaded.folder is not None:
        try:
            processor = PeVideoVideoProcessor.from_pretrained(str(loaded.folder), local_files_only=True)
        except OSError as e:
            raise CheckpointError(f"{loaded.folder}: no video processor config "
                                  f"(video_preprocessor_config.json / processor_config.json): {e}") from None
    if processor is not None:
        source = f"{loaded.folder} video processor"
        size = processor.size
        height = size.get("height") or size.get("shortest_edge")
        width = size.get("width") or size.get("shortest_edge")
        if height != width:
            raise CheckpointError(f"video processor size {dict(size)} is not square")
        if getattr(processor, "do_center_crop", False):
            raise CheckpointError("video processor does center cropping; the Java side resizes straight to S x S")
        if not processor.do_rescale or abs(processor.rescale_factor - 1 / 255) > 1e-12:
            raise CheckpointError(f"video processor rescale {processor.do_rescale}/{processor.rescale_factor}: "
                                  "the Java side scales pixels by 1/255")
        mean, std = list(processor.image_mean), list(processor.image_std)
        resample = int(processor.resample)
        num_frames = processor.num_frames if getattr(processor, "do_sample_frames", False) else None
    else:
        source = f"timm pretrained_cfg of {vision_config.architecture} + PeVideoVideoProcessor class defaults"
        height = int(timm_model.patch_embed.img_size[0])
        mean, std = list(timm_model.pretrained_cfg["mean"]), list(timm_model.pretrained_cfg["std"])
        resample = int(PeVideoVideoProcessor.resample)
        num_frames = None
    constants = {
        "imageSize": int(height), "mean": [float(x) for x in mean], "std": [float(x) for x in std],
        "resize": _RESAMPLE_NAMES[resample],
        # the job's frame policies: native (every decoded frame) or uniform:K (K evenly spaced per clip)
        "framePolicy": f"uniform:{int(num_frames)}" if num_frames else "native",
        "frameFeatureDim": int(vision_config.num_labels),
    }
    return constants, {"imageSize": source, "mean": source, "std": source, "resize": source,
                       "framePolicy": source, "frameFeatureDim": "vision_config.num_labels"}


def _text_constants(loaded: LoadedModel):
    text_config = loaded.model.config.text_config
    max_length, source = int(text_config.max_position_embeddings), "text_config.max_position_embeddings"
    if loaded.folder is not None:
        if not (loaded.folder / "tokenizer.json").is_file():
            raise CheckpointError(f"{loaded.folder} has no tokenizer.json")
        tokenizer_config = loaded.folder / "tokenizer_config.json"
        if tokenizer_config.is_file():
            declared = json.loads(tokenizer_config.read_text()).get("model_max_length")
            if isinstance(declared, (int, float)) and 0 < declared <= max_length:
                max_length, source = int(declared), f"{tokenizer_config} model_max_length"
    return {"maxLength": max_length}, {"maxLength": source}


def _vision_model(loaded: LoadedModel):
    model = loaded.model
    if loaded.kind == "pe_audio_video":
        return model.video_model.video_encoder.embedder.vision_model
    return model.video_encoder.embedder.vision_model


def setup_offline():
    """No hub access at export time: a checkpoint is a local folder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
