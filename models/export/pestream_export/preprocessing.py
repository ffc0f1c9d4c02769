"""The preprocessing parity fixture: short media files (generated once with the FFmpeg CLI, committed) and
what the transformers processors make of them, so a Java test can decode the same files through the job's
decode stage and compare (models/fixtures/preprocessing/README.md describes the files).

The reference pipeline is transformers' own file path minus the decoder library it would pick:
- audio = `transformers.audio_utils.load_audio(path, 48000, backend="soundfile")` semantics: every channel
  decoded at its native rate (here by the FFmpeg CLI, exact for the lossless FLAC tracks), downmixed by the
  mean over channels, resampled with soxr at `soxr_hq`, padded/trimmed to ceil(n * 48000 / sr); then
  `PeAudioFeatureExtractor` (reflect padding to a multiple of the hop, padding mask);
- video = every decoded frame converted to RGB24 at its native size (the FFmpeg CLI with bilinear swscale,
  BT.601, as PyAV / torchcodec hand frames to transformers), then `PeVideoVideoProcessor` (resize to S x S,
  bilinear with antialiasing, rescale 1/255, normalise mean/std 0.5), and its `sample_frames` for
  `num_frames=16`.
"""
import gzip
import io
import json
import math
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

SAMPLE_RATE = 48_000
HOP = 1920
SIZES = (32, 224)               # 32 = the tiny-random bundle's frames; 224 = PE-Core B16 (every frame stored at 32)
FULL_FRAMES_AT = 224            # at this size only the first and middle frame are stored (size budget)
UNIFORM_FRAMES = 16

# name -> (video lavfi source, width, height, fps, audio lavfi sources (one per channel), sample rate, seconds);
# durations are not multiples of the 40 ms hop, so the reflect padding of the last frame is exercised
MEDIA = {
    "landscape-1280x720-25fps-48k-stereo": (
        "testsrc2", 1280, 720, "25", ["sine=frequency=440", "sine=frequency=660"], 48_000, 1.0),
    "vga-640x480-29.97fps-44k1-mono-tone": (
        "gradients=speed=0.05:c0=red:c1=blue:c2=yellow:c3=green:nb_colors=4", 640, 480, "30000/1001",
        ["aevalsrc=0.6*sin(2*PI*1000*t)*gt(t\\,0.3)*lt(t\\,0.7)"], 44_100, 0.97),
    "portrait-720x1280-60fps-16k-mono": (
        "testsrc2", 720, 1280, "60", ["aevalsrc=0.5*sin(2*PI*(200+1800*t)*t)"], 16_000, 0.9),
    "wide-854x480-25fps-44k1-stereo": (
        "gradients=speed=0.08:nb_colors=3:type=radial", 854, 480, "25",
        ["aevalsrc=0.4*sin(2*PI*330*t)", "aevalsrc=0.3*sin(2*PI*1250*t+1)"], 44_100, 0.83),
}


def _ffmpeg(*args) -> bytes:
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", *args], capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def generate_media(folder: Path) -> None:
    """H.264 (x264, one thread, CRF 30) + FLAC in Matroska."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (video, w, h, fps, channels, sr, seconds) in MEDIA.items():
        sep = ":" if "=" in video else "="
        inputs = ["-f", "lavfi", "-i", f"{video}{sep}size={w}x{h}:rate={fps}:duration={seconds}"]
        for channel in channels:
            inputs += ["-f", "lavfi", "-i", f"{channel}:s={sr}:d={seconds}" if channel.startswith("aevalsrc")
                       else f"{channel}:sample_rate={sr}:duration={seconds}"]
        if len(channels) > 1:
            audio = ["-filter_complex", f"{''.join(f'[{i + 1}]' for i in range(len(channels)))}"
                                        f"amerge=inputs={len(channels)}[a]", "-map", "[a]"]
        else:
            audio = ["-map", "1:a"]
        _ffmpeg("-y", *inputs, "-map", "0:v", *audio, "-c:v", "libx264", "-preset", "slow", "-crf", "30",
                "-x264-params", "threads=1", "-pix_fmt", "yuv420p", "-c:a", "flac", "-fflags", "+bitexact",
                "-flags:v", "+bitexact", "-flags:a", "+bitexact", str(folder / f"{name}.mkv"))


def _probe(path: Path, stream: str, entries: str) -> list:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", f"stream={entries}",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return out.strip().split(",")


def decode_rgb(path: Path) -> np.ndarray:
    """Every frame as RGB24 at its native size, [T, H, W, 3] uint8."""
    w, h = (int(v) for v in _probe(path, "v:0", "width,height"))
    raw = _ffmpeg("-i", str(path), "-map", "0:v", "-sws_flags", "bilinear", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def load_audio(path: Path) -> tuple:
    """transformers' soundfile backend, decoder aside: mean downmix, soxr_hq, ceil-length. Returns (48 kHz, sr, ch)."""
    import soxr
    sr, channels = (int(v) for v in _probe(path, "a:0", "sample_rate,channels"))
    native = np.frombuffer(_ffmpeg("-i", str(path), "-map", "0:a", "-f", "f32le", "-"), np.float32)
    mono = native.reshape(-1, channels).mean(axis=1)
    if sr != SAMPLE_RATE:
        n = math.ceil(mono.shape[-1] * SAMPLE_RATE / sr)
        mono = soxr.resample(mono, sr, SAMPLE_RATE, quality="soxr_hq")
        mono = np.pad(mono, (0, max(0, n - len(mono))))[:n]
    return np.ascontiguousarray(mono, dtype=np.float32), sr, channels


def _npy_gz(path: Path, array: np.ndarray) -> str:
    """numpy's .npy format, gzip'd with a fixed header time (byte-reproducible)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array))
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write(buffer.getvalue())
    return path.name


def write_reference(folder: Path) -> dict:
    import torch
    from transformers import PeAudioFeatureExtractor, PeVideoVideoProcessor
    from transformers.video_utils import VideoMetadata
    import transformers

    extractor = PeAudioFeatureExtractor()
    out = {"format": "pestream-preprocessing-fixture/1", "transformers": transformers.__version__,
           "sampleRate": SAMPLE_RATE, "hopSamples": HOP, "uniformFrames": UNIFORM_FRAMES, "sizes": list(SIZES),
           "fullFramesAt": FULL_FRAMES_AT, "files": []}
    for name in MEDIA:
        media = folder / f"{name}.mkv"
        frames = decode_rgb(media)
        fps = Fraction(_probe(media, "v:0", "r_frame_rate")[0])
        entry = {"file": media.name, "width": frames.shape[2], "height": frames.shape[1],
                 "frameRate": [fps.numerator, fps.denominator], "decodedFrames": frames.shape[0]}
        video = {}
        for size in SIZES:
            processor = PeVideoVideoProcessor(size={"height": size, "width": size}, do_resize=True, do_rescale=True,
                                              do_normalize=True, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                                              do_center_crop=False, do_sample_frames=False)
            resized = PeVideoVideoProcessor(size={"height": size, "width": size}, do_resize=True, do_rescale=False,
                                            do_normalize=False, do_center_crop=False, do_sample_frames=False)
            pixels = processor(videos=[frames], return_tensors="pt")["pixel_values_videos"][0]
            uint8 = resized(videos=[frames], return_tensors="pt")["pixel_values_videos"][0]
            assert uint8.dtype == torch.uint8, uint8.dtype
            # the processor's float tensor is exactly the uint8 resize, rescaled and normalised
            assert torch.equal(pixels, (uint8.float() / 255 - 0.5) / 0.5) or \
                torch.allclose(pixels, (uint8.float() / 255 - 0.5) / 0.5, atol=1e-6, rtol=0)
            keep = list(range(frames.shape[0])) if size != FULL_FRAMES_AT else [0, frames.shape[0] // 2]
            rgb = uint8[keep].permute(0, 2, 3, 1).contiguous().numpy()     # [k, S, S, 3], as the job's RGB24
            video[str(size)] = {
                "frameIndices": keep,
                "rgb": _npy_gz(folder / f"{name}.rgb{size}.npy.gz", rgb),
                "pixelValuesShape": list(pixels.shape)}
            if size != FULL_FRAMES_AT:
                video[str(size)]["pixelValuesFrame0"] = _npy_gz(folder / f"{name}.pixels{size}-frame0.npy.gz",
                                                                pixels[0].numpy())
        entry["video"] = video
        metadata = VideoMetadata(total_num_frames=frames.shape[0], fps=float(fps))
        entry["uniformFrameIndices"] = [int(i) for i in PeVideoVideoProcessor().sample_frames(
            metadata, num_frames=UNIFORM_FRAMES)]

        wave, sr, channels = load_audio(media)
        features = extractor(wave, sampling_rate=SAMPLE_RATE, return_tensors="np")
        values = features["input_values"][0, 0]
        mask = features["padding_mask"][0]
        entry["audio"] = {"sampleRate": sr, "channels": channels, "samples": int(wave.shape[0]),
                          "paddedSamples": int(values.shape[0]), "paddingMaskTrue": int(mask.sum()),
                          "inputValues": _npy_gz(folder / f"{name}.input-values.npy.gz", values.astype(np.float32))}
        out["files"].append(entry)

    # two clips in one batch: the padding masks transformers builds for different lengths
    a, b = (load_audio(folder / f"{n}.mkv")[0] for n in list(MEDIA)[:2])
    shorter = a[: len(a) // 2]
    batch = extractor([shorter, b], sampling_rate=SAMPLE_RATE, return_tensors="np")
    out["audioBatch"] = {"lengths": [len(shorter), len(b)],
                         "paddedLength": int(batch["input_values"].shape[-1]),
                         "paddingMaskTrue": [int(m.sum()) for m in batch["padding_mask"]]}
    (folder / "reference.json").write_text(json.dumps(out, indent=1) + "\n")
    return out


def write_fixture(folder: Path, regenerate_media: bool, bundle_dir: Path) -> None:
    if regenerate_media or not all((folder / f"{n}.mkv").exists() for n in MEDIA):
        generate_media(folder)
    write_reference(folder)
    write_end_to_end(folder, bundle_dir)


# --- end to end: the tiny-random models on the reference-processed media, window by window ---------------------

WINDOW_S = 0.4           # window length and hop of the end-to-end fixture (10 and 5 audio frames)
HOP_S = 0.2
PROMPT = "beep"


def windows(duration_samples: int) -> list:
    """Start samples of the whole windows [s, s + W) that fit in the clip."""
    w, h = round(WINDOW_S * SAMPLE_RATE), round(HOP_S * SAMPLE_RATE)
    return list(range(0, duration_samples - w + 1, h))


def write_end_to_end(folder: Path, bundle_dir: Path, seed: int = 0) -> dict:
    """transformers' PeAudioVideoModel / PeAudioFrameLevelModel (random-init 'tiny', the weights of
    models/bundles/tiny-random) on each window of each fixture file: the window's waveform through
    PeAudioFeatureExtractor, its frames (grid time in the window) through PeVideoVideoProcessor at the bundle's
    size, the prompt through the bundle's tokenizer; embeddings, frame probabilities and spans (reference rule)."""
    import torch
    from tokenizers import Tokenizer
    from transformers import PeAudioFeatureExtractor, PeVideoVideoProcessor
    from . import loading, spans

    models = loading.random_init("tiny", seed)
    av = next(m for m in models if m.kind == "pe_audio_video")
    frame = next(m for m in models if m.kind == "pe_audio_frame")
    size = av.constants["video"]["imageSize"]
    ids = torch.tensor([Tokenizer.from_file(str(bundle_dir / "tokenizer.json")).encode(PROMPT).ids])
    extractor = PeAudioFeatureExtractor()
    processor = PeVideoVideoProcessor(size={"height": size, "width": size}, do_resize=True, do_rescale=True,
                                      do_normalize=True, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                                      do_center_crop=False, do_sample_frames=False)
    scale = float(frame.model.text_audio_logit_scale.item())
    bias = float(frame.model.text_audio_logit_bias.item())
    threshold = spans.REFERENCE_THRESHOLD
    out = {"format": "pestream-end-to-end-fixture/1", "bundle": bundle_dir.name, "windowS": WINDOW_S, "hopS": HOP_S,
           "prompt": PROMPT, "threshold": threshold, "files": []}
    with torch.no_grad():
        for name in MEDIA:
            media = folder / f"{name}.mkv"
            wave, _, _ = load_audio(media)
            frames = decode_rgb(media)
            fps = Fraction(_probe(media, "v:0", "r_frame_rate")[0])
            entry = {"file": media.name, "windows": []}
            for start in windows(len(wave)):
                end = start + round(WINDOW_S * SAMPLE_RATE)
                audio = extractor(wave[start:end], sampling_rate=SAMPLE_RATE, return_tensors="pt")["input_values"]
                # frame j sits at j / fps on the stream clock: those in [start, end) samples
                picks = [j for j in range(frames.shape[0])
                         if start <= j * SAMPLE_RATE / fps < end]
                pixels = processor(videos=[frames[picks]], return_tensors="pt")["pixel_values_videos"]
                full = av.model(input_ids=ids, input_values=audio, pixel_values_videos=pixels, return_dict=True)
                framewise = frame.model(input_ids=ids, input_values=audio, return_dict=True)
                probs = spans.probabilities(framewise.audio_embeds[0].numpy(), framewise.text_audio_embeds[0].numpy(),
                                            scale, bias)
                entry["windows"].append({
                    "startSample": start, "endSample": end, "frameIndices": picks,
                    "audioEmbedding": full.audio_embeds[0].tolist(),
                    "videoEmbedding": full.video_embeds[0].tolist(),
                    "audioVideoEmbedding": full.audio_video_embeds[0].tolist(),
                    "frameProbabilities": [float(p) for p in probs],
                    "spans": spans.spans([float(p) for p in probs], threshold, HOP, SAMPLE_RATE, WINDOW_S),
                    # random weights score every frame far below 0.3: the same rule at the window's median
                    # probability gives spans to compare
                    "medianThreshold": float(np.median(probs)),
                    "medianSpans": spans.spans([float(p) for p in probs], float(np.median(probs)), HOP, SAMPLE_RATE,
                                               WINDOW_S)})
            out["files"].append(entry)
    (folder / "end-to-end.json").write_text(json.dumps(out) + "\n")
    return out
