#!/usr/bin/env python3
"""Generates the PE Stream contract bundle: small ONNX graphs with engineered, documented answers.

NOT a real model. The graphs follow the real PE-AV / PE-A-Frame graph contract (roles, tensor names,
dtypes, shapes, embedding sizes) but compute hand-made features: audio band energies, mean frame
colour, and a word-lookup text encoder. README.md beside this file documents every answer.

    python generate.py contract --out DIR   # the contract bundle (committed as models/bundles/contract)
    python generate.py bench --out DIR      # the contract bundle with a heavy frame_encoder, for benchmarks

The output is byte-for-byte reproducible: no timestamps, no random floats (projections are Hadamard
columns, exact in float32; the DFT basis and window are computed inside the graphs), deterministic
protobuf serialisation, pinned onnx/numpy/protobuf versions (requirements.txt).
"""

import argparse
import hashlib
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
PRODUCER = "pestream-contract-generator"

SAMPLE_RATE = 48000
HOP = 1920  # samples per 40 ms audio frame
FEATURE_DIM = 128  # codec features per audio frame
IMAGE_SIZE = 224
FRAME_FEATURE_DIM = 1024  # Df
EMBEDDING_DIM = 1024  # E
MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]
LOGIT_SCALE = 10.0
LOGIT_BIAS = -5.0
THRESHOLD = 0.3

# Concept coordinates. Audio: the first 16 of the 128 codec features (the rest are zero).
AUDIO_CONCEPTS = ["silence", "sound", "beep", "hum", "noise", "level",
                  "beep_fraction", "hum_fraction", "brightness"]
# Video: the frame feature is a 16-d concept vector lifted into 1024 dims by an orthonormal map.
VIDEO_CONCEPTS = ["r", "g", "b", "red", "green", "blue", "yellow", "cyan", "magenta",
                  "white", "black", "gray", "bright", "dark"]
CONCEPT_DIM = 16
COLOUR_PROTOTYPES = {  # RGB in [0, 1]
    "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0),
    "cyan": (0, 1, 1), "magenta": (1, 0, 1), "white": (1, 1, 1), "black": (0, 0, 0),
    "gray": (0.5, 0.5, 0.5),
}
COLOUR_SIGMA = 0.2

BEEP_BAND_HZ = (750, 1250)
HUM_BAND_HZ = (50, 150)
GATE_DB = -50.0  # loudness (dBFS of the frame's mean square) where "sound" crosses 0.5
GATE_SLOPE_DB = 2.5

# Text: word -> (modality, concept). Specials and stop words carry weight 0 (not averaged);
# every other token, [UNK] included, has weight 1, so unknown words dilute a prompt.
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
AUDIO_WORDS = {
    "beep": "beep", "beeps": "beep", "beeping": "beep", "tone": "beep", "whistle": "beep",
    "hum": "hum", "humming": "hum", "buzz": "hum", "drone": "hum",
    "noise": "noise", "noisy": "noise", "hiss": "noise", "static": "noise",
    "silence": "silence", "silent": "silence", "quiet": "silence",
    "sound": "sound", "loud": "sound",
}
VIDEO_WORDS = {
    "red": "red", "green": "green", "blue": "blue", "yellow": "yellow", "cyan": "cyan",
    "magenta": "magenta", "white": "white", "black": "black", "gray": "gray", "grey": "gray",
    "bright": "bright", "dark": "dark",
}
STOP_WORDS = ["a", "an", "the", "of", "with", "and", "in", "on", "is", "this", "that", "some", "there",
              "frame", "image", "picture", "video", "audio", "clip"]


# ----------------------------------------------------------------------------------------------
# Fixed projections: columns of a 1024x1024 Sylvester-Hadamard matrix scaled by 1/32, i.e.
# orthonormal, exactly representable in float32, and identical on every machine.

def hadamard(n):
    h = np.array([[1]], dtype=np.int64)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


_H = hadamard(EMBEDDING_DIM)


def orthonormal_columns(first):
    """1024 x 16 matrix with orthonormal columns (Hadamard columns first .. first+15)."""
    return (_H[:, first:first + CONCEPT_DIM] / 32.0).astype(np.float32)


P_AUDIO = orthonormal_columns(1)    # audio concepts -> embedding space
P_VIDEO = orthonormal_columns(17)   # video concepts -> embedding space
Q_FRAME = orthonormal_columns(33)   # video concepts -> 1024-d frame features


# ----------------------------------------------------------------------------------------------
# Small graph-building helper.

class Graph:
    def __init__(self, name):
        self.name = name
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self._n = 0

    def _fresh(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, dtype=np.float32, hint="c"):
        name = self._fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type, *inputs, hint=None, **attrs):
        out = self._fresh(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def input(self, name, elem_type, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, name, value, shape):
        self.nodes.append(helper.make_node("Identity", [value], [name]))
        self.outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    def model_bytes(self, doc):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, producer_name=PRODUCER, producer_version="1",
                                  opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        model.doc_string = doc
        onnx.checker.check_model(model, full_check=True)
        return model.SerializeToString(deterministic=True)

    # common pieces
    def slice_last(self, x, start, end):
        return self.op("Slice", x, self.const([start], np.int64), self.const([end], np.int64),
                       self.const([-1], np.int64))

    def masked_mean(self, x, mask_bool):
        """Mean of x[B, T, D] over T where mask[B, T] is true; an all-false row gives zeros."""
        m = self.op("Unsqueeze", self.op("Cast", mask_bool, to=TensorProto.FLOAT),
                    self.const([2], np.int64))
        total = self.op("ReduceSum", self.op("Mul", x, m), self.const([1], np.int64), keepdims=0)
        count = self.op("ReduceSum", m, self.const([1], np.int64), keepdims=0)
        return self.op("Div", total, self.op("Max", count, self.const(1.0)))


# ----------------------------------------------------------------------------------------------
# Graphs of the contract bundle.

def band_bins(lo_hz, hi_hz):
    bin_hz = SAMPLE_RATE / HOP  # 25 Hz
    return list(range(int(round(lo_hz / bin_hz)), int(round(hi_hz / bin_hz)) + 1))


def audio_codec():
    """waveform [B,1,T] -> features [B,T/1920,128]; every 40 ms frame on its own (no context)."""
    g = Graph("audio_codec")
    wav = g.input("waveform", TensorProto.FLOAT, ["batch", 1, "samples"])
    frames = g.op("Reshape", wav, g.const([0, -1, HOP], np.int64), hint="frames")  # [B,F,N]

    # Periodic Hann window and DFT basis for the two bands, computed in the graph (exact integer
    # phase index k*n mod N, then cos/sin), so no float tables are stored.
    n = g.const(np.arange(HOP, dtype=np.int64), np.int64, hint="n")
    two_pi_over_n = 2.0 * math.pi / HOP
    n_float = g.op("Cast", n, to=TensorProto.FLOAT)
    window = g.op("Sub", g.const(0.5), g.op("Mul", g.const(0.5),
                                            g.op("Cos", g.op("Mul", n_float, g.const(two_pi_over_n)))))
    bins = band_bins(*BEEP_BAND_HZ) + band_bins(*HUM_BAND_HZ)
    k = g.const(np.array(bins, dtype=np.int64)[None, :], np.int64, hint="k")  # [1,K]
    phase_index = g.op("Mod", g.op("Mul", g.op("Unsqueeze", n, g.const([1], np.int64)), k),
                       g.const(HOP, np.int64))  # [N,K]
    phase = g.op("Mul", g.op("Cast", phase_index, to=TensorProto.FLOAT), g.const(two_pi_over_n))
    cos_basis, sin_basis = g.op("Cos", phase), g.op("Sin", phase)
    band_of_bin = np.zeros((len(bins), 2), dtype=np.float32)  # [K,2]: beep, hum
    band_of_bin[:len(band_bins(*BEEP_BAND_HZ)), 0] = 1
    band_of_bin[len(band_bins(*BEEP_BAND_HZ)):, 1] = 1

    windowed = g.op("Mul", frames, window)
    re, im = g.op("MatMul", windowed, cos_basis), g.op("MatMul", windowed, sin_basis)
    power = g.op("Add", g.op("Mul", re, re), g.op("Mul", im, im))  # [B,F,K]
    band_energy = g.op("MatMul", power, g.const(band_of_bin))  # [B,F,2]
    # Parseval: sum over all N bins of |Y_k|^2 = N * sum(y^2); one-sided bands count twice.
    windowed_energy = g.op("ReduceSum", g.op("Mul", windowed, windowed), g.const([-1], np.int64),
                           keepdims=1)
    fractions = g.op("Div", g.op("Mul", band_energy, g.const(2.0)),
                     g.op("Add", g.op("Mul", windowed_energy, g.const(float(HOP))), g.const(1e-12)))
    fractions = g.op("Min", fractions, g.const(1.0))
    beep_fraction = g.slice_last(fractions, 0, 1)
    hum_fraction = g.slice_last(fractions, 1, 2)

    mean_square = g.op("ReduceMean", g.op("Mul", frames, frames), axes=[-1], keepdims=1)  # [B,F,1]
    diff = g.op("Sub", g.slice_last(frames, 1, HOP), g.slice_last(frames, 0, HOP - 1))
    diff_mean_square = g.op("ReduceMean", g.op("Mul", diff, diff), axes=[-1], keepdims=1)
    # (x[n]-x[n-1]) has gain 4 sin^2(w/2): 0 at DC, 4 at Nyquist, 2 on average for white noise.
    brightness = g.op("Min", g.op("Div", diff_mean_square,
                                  g.op("Add", g.op("Mul", mean_square, g.const(4.0)), g.const(1e-12))),
                      g.const(1.0))
    level_db = g.op("Mul", g.op("Log", g.op("Add", mean_square, g.const(1e-12))),
                    g.const(10.0 / math.log(10.0)))
    sound = g.op("Sigmoid", g.op("Div", g.op("Sub", level_db, g.const(GATE_DB)), g.const(GATE_SLOPE_DB)))
    silence = g.op("Sub", g.const(1.0), sound)
    beep = g.op("Mul", sound, beep_fraction)
    hum = g.op("Mul", sound, hum_fraction)
    noise = g.op("Mul", sound, g.op("Min", g.op("Mul", brightness, g.const(2.0)), g.const(1.0)))
    level = g.op("Clip", g.op("Div", g.op("Add", level_db, g.const(100.0)), g.const(100.0)),
                 g.const(0.0), g.const(1.0))
    concepts = g.op("Concat", silence, sound, beep, hum, noise, level, beep_fraction, hum_fraction,
                    brightness, axis=-1)
    features = g.op("Pad", concepts,
                    g.const([0, 0, 0, 0, 0, FEATURE_DIM - len(AUDIO_CONCEPTS)], np.int64))
    g.output("features", features, ["batch", "frames", FEATURE_DIM])
    return g


def frame_encoder():
    """pixel_values [B,3,S,S] (normalised) -> frame_features [B,1024] from the mean colour."""
    g = Graph("frame_encoder")
    px = g.input("pixel_values", TensorProto.FLOAT, ["batch", 3, IMAGE_SIZE, IMAGE_SIZE])
    mean_norm = g.op("ReduceMean", px, axes=[2, 3], keepdims=0)  # [B,3]
    rgb = g.op("Clip", g.op("Add", g.op("Mul", mean_norm, g.const(STD)), g.const(MEAN)),
               g.const(0.0), g.const(1.0))
    protos = np.array(list(COLOUR_PROTOTYPES.values()), dtype=np.float32)  # [C,3]
    delta = g.op("Sub", g.op("Unsqueeze", rgb, g.const([1], np.int64)), g.const(protos))  # [B,C,3]
    dist2 = g.op("ReduceSum", g.op("Mul", delta, delta), g.const([2], np.int64), keepdims=0)
    similarity = g.op("Exp", g.op("Mul", dist2, g.const(-1.0 / (2 * COLOUR_SIGMA ** 2))))  # [B,C]
    luminance = g.op("MatMul", rgb, g.const(np.array([[0.2126], [0.7152], [0.0722]], np.float32)))
    dark = g.op("Sub", g.const(1.0), luminance)
    concepts = g.op("Concat", rgb, similarity, luminance, dark, axis=-1)  # [B,14]
    concepts = g.op("Pad", concepts, g.const([0, 0, 0, CONCEPT_DIM - len(VIDEO_CONCEPTS)], np.int64))
    features = g.op("MatMul", concepts, g.const(Q_FRAME.T))  # [B,1024]
    g.output("frame_features", features, ["batch", FRAME_FEATURE_DIM])
    return g


def audio_concepts(g, features):
    return g.slice_last(features, 0, CONCEPT_DIM)


def video_concepts(g, frame_features):
    return g.op("MatMul", frame_features, g.const(Q_FRAME))  # [..,1024] -> [..,16]


def audio_encoder():
    g = Graph("audio_encoder")
    feats = g.input("audio_features", TensorProto.FLOAT, ["batch", "frames", FEATURE_DIM])
    mask = g.input("audio_mask", TensorProto.BOOL, ["batch", "frames"])
    pooled = g.masked_mean(audio_concepts(g, feats), mask)
    g.output("audio_embedding", g.op("MatMul", pooled, g.const(P_AUDIO.T)), ["batch", EMBEDDING_DIM])
    return g


def video_encoder():
    g = Graph("video_encoder")
    ff = g.input("frame_features", TensorProto.FLOAT, ["batch", "video_frames", FRAME_FEATURE_DIM])
    mask = g.input("video_mask", TensorProto.BOOL, ["batch", "video_frames"])
    pooled = g.masked_mean(video_concepts(g, ff), mask)
    g.output("video_embedding", g.op("MatMul", pooled, g.const(P_VIDEO.T)), ["batch", EMBEDDING_DIM])
    return g


def av_encoder():
    """Audio + video; video frames are aligned to audio frames by nearest neighbour in the graph:
    audio frame i of F real frames reads video frame floor(i * N / F) of N real frames."""
    g = Graph("av_encoder")
    feats = g.input("audio_features", TensorProto.FLOAT, ["batch", "frames", FEATURE_DIM])
    amask = g.input("audio_mask", TensorProto.BOOL, ["batch", "frames"])
    ff = g.input("frame_features", TensorProto.FLOAT, ["batch", "video_frames", FRAME_FEATURE_DIM])
    vmask = g.input("video_mask", TensorProto.BOOL, ["batch", "video_frames"])

    one = g.const([1], np.int64)
    audio_real = g.op("ReduceSum", g.op("Cast", amask, to=TensorProto.FLOAT), one, keepdims=1)  # [B,1]
    video_real = g.op("ReduceSum", g.op("Cast", vmask, to=TensorProto.FLOAT), one, keepdims=1)
    frames_padded = g.op("Gather", g.op("Shape", feats), g.const(1, np.int64), axis=0)
    i = g.op("Cast", g.op("Range", g.const(0, np.int64), frames_padded, g.const(1, np.int64)),
             to=TensorProto.FLOAT)  # [F]
    j = g.op("Floor", g.op("Div", g.op("Mul", g.op("Unsqueeze", i, g.const([0], np.int64)), video_real),
                           g.op("Max", audio_real, g.const(1.0))))  # [B,F]
    j = g.op("Max", g.op("Min", j, g.op("Sub", video_real, g.const(1.0))), g.const(0.0))
    j = g.op("Cast", j, to=TensorProto.INT64)
    vc = video_concepts(g, ff)  # [B,N,16]
    batch_frames = g.op("Shape", g.slice_last(feats, 0, CONCEPT_DIM))  # [B,F,16]
    index = g.op("Expand", g.op("Unsqueeze", j, g.const([2], np.int64)), batch_frames)
    aligned = g.op("GatherElements", vc, index, axis=1)  # [B,F,16]
    audio_pooled = g.masked_mean(audio_concepts(g, feats), amask)
    video_pooled = g.masked_mean(aligned, amask)
    emb = g.op("Add", g.op("MatMul", audio_pooled, g.const(P_AUDIO.T)),
               g.op("MatMul", video_pooled, g.const(P_VIDEO.T)))
    g.output("audio_video_embedding", emb, ["batch", EMBEDDING_DIM])
    return g


def frame_level_audio():
    g = Graph("frame_level_audio")
    feats = g.input("audio_features", TensorProto.FLOAT, ["batch", "frames", FEATURE_DIM])
    mask = g.input("audio_mask", TensorProto.BOOL, ["batch", "frames"])
    per_frame = g.op("MatMul", audio_concepts(g, feats), g.const(P_AUDIO.T))  # [B,F,E]
    m = g.op("Unsqueeze", g.op("Cast", mask, to=TensorProto.FLOAT), g.const([2], np.int64))
    g.output("frame_embeddings", g.op("Mul", per_frame, m), ["batch", "frames", EMBEDDING_DIM])
    return g


def vocabulary():
    words = SPECIALS + sorted(AUDIO_WORDS) + sorted(VIDEO_WORDS) + sorted(STOP_WORDS)
    return {w: i for i, w in enumerate(words)}


def text_tables(vocab):
    table = np.zeros((len(vocab), 2 * CONCEPT_DIM), dtype=np.float32)
    weight = np.ones(len(vocab), dtype=np.float32)
    for w in SPECIALS + STOP_WORDS:
        weight[vocab[w]] = 0.0
    weight[vocab["[UNK]"]] = 1.0
    for w, concept in AUDIO_WORDS.items():
        table[vocab[w], AUDIO_CONCEPTS.index(concept)] = 1.0
    for w, concept in VIDEO_WORDS.items():
        table[vocab[w], CONCEPT_DIM + VIDEO_CONCEPTS.index(concept)] = 1.0
    return table, weight


def text_encoder(vocab):
    g = Graph("text_encoder")
    ids = g.input("input_ids", TensorProto.INT64, ["batch", "length"])
    attn = g.input("attention_mask", TensorProto.INT64, ["batch", "length"])
    table, weight = text_tables(vocab)
    vectors = g.op("Gather", g.const(table), ids, axis=0)  # [B,L,32]
    w = g.op("Mul", g.op("Gather", g.const(weight), ids, axis=0),
             g.op("Cast", attn, to=TensorProto.FLOAT))  # [B,L]
    pooled = g.masked_mean(vectors, g.op("Cast", w, to=TensorProto.BOOL))  # [B,32]
    ta = g.op("MatMul", g.slice_last(pooled, 0, CONCEPT_DIM), g.const(P_AUDIO.T))
    tv = g.op("MatMul", g.slice_last(pooled, CONCEPT_DIM, 2 * CONCEPT_DIM), g.const(P_VIDEO.T))
    shape = ["batch", EMBEDDING_DIM]
    g.output("text_audio", ta, shape)
    g.output("text_video", tv, shape)
    g.output("text_audio_video", g.op("Add", ta, tv), shape)
    g.output("text_frame_audio", g.op("Identity", ta), shape)
    return g


def tokenizer_json(vocab):
    specials = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": True} for t in SPECIALS]
    cls = {"SpecialToken": {"id": "[CLS]", "type_id": 0}}
    sep = {"SpecialToken": {"id": "[SEP]", "type_id": 0}}
    sep1 = {"SpecialToken": {"id": "[SEP]", "type_id": 1}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": specials,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Lowercase"},
            {"type": "Replace", "pattern": {"Regex": "[^a-z0-9]+"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep],
            "pair": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep,
                     {"Sequence": {"id": "B", "type_id": 1}}, sep1],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [vocab["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [vocab["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }


# ----------------------------------------------------------------------------------------------
# Bundle writing.

def tensor(name, dtype, shape):
    return {"name": name, "dtype": dtype, "shape": shape}


AUDIO_IN = [tensor("audio_features", "float32", ["batch", "frames", FEATURE_DIM]),
            tensor("audio_mask", "bool", ["batch", "frames"])]
VIDEO_IN = [tensor("frame_features", "float32", ["batch", "video_frames", FRAME_FEATURE_DIM]),
            tensor("video_mask", "bool", ["batch", "video_frames"])]
TEXT_IN = [tensor("input_ids", "int64", ["batch", "length"]),
           tensor("attention_mask", "int64", ["batch", "length"])]
EMB = ["batch", EMBEDDING_DIM]

CONTRACT_GRAPHS = {
    "audio_codec": (audio_codec, [tensor("waveform", "float32", ["batch", 1, "samples"])],
                    [tensor("features", "float32", ["batch", "frames", FEATURE_DIM])]),
    "frame_encoder": (frame_encoder, [tensor("pixel_values", "float32", ["batch", 3, IMAGE_SIZE, IMAGE_SIZE])],
                      [tensor("frame_features", "float32", ["batch", FRAME_FEATURE_DIM])]),
    "audio_encoder": (audio_encoder, AUDIO_IN, [tensor("audio_embedding", "float32", EMB)]),
    "video_encoder": (video_encoder, VIDEO_IN, [tensor("video_embedding", "float32", EMB)]),
    "av_encoder": (av_encoder, AUDIO_IN + VIDEO_IN, [tensor("audio_video_embedding", "float32", EMB)]),
    "frame_level_audio": (frame_level_audio, AUDIO_IN,
                          [tensor("frame_embeddings", "float32", ["batch", "frames", EMBEDDING_DIM])]),
    "text_encoder": (None, TEXT_IN, [tensor(o, "float32", EMB) for o in
                                     ("text_audio", "text_video", "text_audio_video", "text_frame_audio")]),
}


def head(output, threshold=None):
    h = {"graph": "text_encoder", "output": output, "logitScale": LOGIT_SCALE, "logitBias": LOGIT_BIAS}
    if threshold is not None:
        h["threshold"] = threshold
    return h


def write_bundle(out_dir, manifest_head, graphs, extra_files, manifest_tail):
    """graphs: {role: (onnx bytes, inputs, outputs)}; extra_files: {name: bytes}."""
    os.makedirs(out_dir, exist_ok=True)
    files = {}
    for role, (data, _, _) in graphs.items():
        files[f"{role}.onnx"] = data
    files.update(extra_files)
    for name, data in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
    manifest = dict(manifest_head)
    manifest["files"] = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    manifest.update(manifest_tail)
    manifest["graphs"] = {role: {"file": f"{role}.onnx", "inputs": ins, "outputs": outs}
                          for role, (_, ins, outs) in graphs.items()}
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def media_sections():
    return {
        "audio": {"sampleRate": SAMPLE_RATE, "hopSamples": HOP, "featureDim": FEATURE_DIM,
                  "codecContextFrames": 0},
        "video": {"imageSize": IMAGE_SIZE, "mean": MEAN, "std": STD, "resize": "bilinear",
                  "framePolicy": "native", "frameFeatureDim": FRAME_FEATURE_DIM},
        "text": {"tokenizer": "tokenizer.json", "maxLength": 512},
        "embeddingDim": EMBEDDING_DIM,
    }


def generate_contract(out_dir, frame_encoder=None, head_fields=None):
    """The contract bundle; a benchmark variant swaps in a heavier frame_encoder and its own identity."""
    vocab = vocabulary()
    graphs = {}
    for role, (build, ins, outs) in CONTRACT_GRAPHS.items():
        if role == "frame_encoder" and frame_encoder is not None:
            graphs[role] = (frame_encoder, ins, outs)
            continue
        g = text_encoder(vocab) if role == "text_encoder" else build()
        graphs[role] = (g.model_bytes(f"PE Stream contract graph '{role}': engineered, NOT a real model."),
                        ins, outs)
    tokenizer = json.dumps(tokenizer_json(vocab), indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    head_fields = head_fields or {
        "format": "pestream-bundle/1",
        "modelId": "pestream/contract-pe-av",
        "version": "1.0.0",
        "license": "Apache-2.0",
        "contract": True,
        "description": "Engineered contract bundle: NOT a real model. Audio features are per-frame "
                       "band energies, frame features encode mean colour, the text encoder looks "
                       "words up in a small vocabulary. See models/contract/README.md.",
    }
    tail = media_sections()
    tail["heads"] = {
        "audio": head("text_audio"),
        "video": head("text_video"),
        "audio_video": head("text_audio_video"),
        "frame_audio": head("text_frame_audio", THRESHOLD),
    }
    write_bundle(out_dir, head_fields, graphs, {"tokenizer.json": tokenizer}, tail)


def bench_frame_encoder():
    """A ViT-like patch embedding + MLP block (~0.6 GFLOP per frame) with seeded random weights:
    heavy enough that inference, not data movement, dominates a benchmark."""
    rng = np.random.default_rng(1234)
    width, hidden, patch = 384, 1536, 16

    def w(*shape):
        return (rng.standard_normal(shape) / math.sqrt(shape[-2] if len(shape) > 1 else 1)).astype(np.float32)

    g = Graph("bench_frame_encoder")
    px = g.input("pixel_values", TensorProto.FLOAT, ["batch", 3, IMAGE_SIZE, IMAGE_SIZE])
    kernel = (rng.standard_normal((width, 3, patch, patch)) / math.sqrt(3 * patch * patch)).astype(np.float32)
    x = g.op("Conv", px, g.const(kernel), kernel_shape=[patch, patch], strides=[patch, patch])
    x = g.op("Transpose", g.op("Reshape", x, g.const([0, width, -1], np.int64)), perm=[0, 2, 1])
    h = g.op("Relu", g.op("MatMul", x, g.const(w(width, hidden))))
    x = g.op("Add", x, g.op("MatMul", h, g.const(w(hidden, width))))
    pooled = g.op("ReduceMean", x, axes=[1], keepdims=0)
    g.output("frame_features", g.op("MatMul", pooled, g.const(w(width, FRAME_FEATURE_DIM))),
             ["batch", FRAME_FEATURE_DIM])
    return g


def generate_bench(out_dir):
    """The contract bundle with a ViT-sized frame_encoder (random weights): every role is there, so
    the whole job runs on it, but inference dominates the cost as it does with real models."""
    data = bench_frame_encoder().model_bytes("PE Stream benchmark graph: random weights, NOT a model.")
    generate_contract(out_dir, frame_encoder=data, head_fields={
        "format": "pestream-bundle/1",
        "modelId": "pestream/bench-pe-av",
        "version": "1.0.0",
        "license": "Apache-2.0",
        "contract": True,
        "description": "Benchmark bundle: the contract bundle with a ViT-sized frame_encoder with random weights. "
                       "NOT a model.",
    })


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["contract", "bench"])
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    args = parser.parse_args()
    if args.kind == "contract":
        generate_contract(args.out)
    else:
        generate_bench(args.out)


if __name__ == "__main__":
    main()
