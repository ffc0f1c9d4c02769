"""Exporter tests (need the exporter venv; not part of CI): `.venv/bin/python -m unittest discover -s tests`
from models/export."""
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import torch

from pestream_export import codec, exporter, graphs, loading, spans
from pestream_export.cli import main as cli_main  # noqa: F401  (sets offline mode first)

exporter.quiet()


def save_checkpoint(loaded, folder: Path, readme_license="apache-2.0"):
    """A checkpoint folder as the hub ships it: weights + config, feature extractor, tokenizer."""
    from transformers import PeAudioFeatureExtractor, PeVideoVideoProcessor
    loaded.model.save_pretrained(folder)
    PeAudioFeatureExtractor().save_pretrained(folder)
    if "video" in loaded.constants:
        size = loaded.constants["video"]["imageSize"]
        PeVideoVideoProcessor(size={"height": size, "width": size}, image_mean=[0.5] * 3, image_std=[0.5] * 3,
                              do_center_crop=False, do_rescale=True, do_normalize=True,
                              do_resize=True).save_pretrained(folder)
    exporter.write_tokenizer([loaded], folder)
    (folder / "README.md").write_text(f"---\nlicense: {readme_license}\n---\n# test checkpoint\n")
    return folder


class SpanRuleTest(unittest.TestCase):
    def test_reference_rule(self):
        hop, sr = 1920, 48000
        self.assertEqual(spans.spans([0.1, 0.5, 0.6, 0.2, 0.31], 0.3, hop, sr, 1.0), [[0.04, 0.12], [0.16, 0.2]])
        self.assertEqual(spans.spans([0.3, 0.3], 0.3, hop, sr, 1.0), [])            # not above
        self.assertEqual(spans.spans([0.9, 0.9, 0.9], 0.3, hop, sr, 0.1), [[0.0, 0.1]])  # clipped
        self.assertEqual(spans.spans([0.1, 0.1, 0.1, 0.9], 0.3, hop, sr, 0.1), [])  # in padding: dropped


class CodecReceptiveFieldTest(unittest.TestCase):
    def test_walked_receptive_field_equals_the_gradient_support(self):
        model = loading.random_init("tiny-frame", 0)[0]
        module = graphs.AudioCodec(model.model.audio_encoder).double()
        field = codec.receptive_field(module.dac_encoder, module.bottleneck)
        hop, frame, frames = field["hopSamples"], 12, 24
        wave = torch.randn(1, 1, frames * hop, dtype=torch.float64, requires_grad=True)
        module(wave)[0, frame].sum().backward()
        support = torch.nonzero(wave.grad[0, 0]).flatten()
        self.assertEqual(frame * hop - int(support.min()), field["leftSamples"])
        self.assertEqual(int(support.max()) - ((frame + 1) * hop - 1), field["rightSamples"])
        self.assertEqual(field["contextFrames"], 6)


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_checkpoint_folder_exports_with_external_data(self):
        source = loading.random_init("tiny-frame", 0)[0]
        folder = save_checkpoint(source, self.tmp / "pe-a-frame-tiny")
        loaded = loading.load_checkpoint(folder)
        self.assertEqual(loaded.kind, "pe_audio_frame")
        self.assertEqual(loaded.constants["audio"], {"sampleRate": 48000, "hopSamples": 1920, "featureDim": 128})
        out = self.tmp / "bundle"
        exporter.export_bundle([loaded], exporter.ExportOptions(out=out, precisions=("fp32",), seed=3,
                                                                external_data_threshold=64 * 1024))
        manifest = json.loads((out / "manifest.json").read_text())
        self.assertFalse(manifest["contract"])
        self.assertEqual(manifest["modelId"], "pe-a-frame-tiny")
        self.assertEqual(manifest["license"], "apache-2.0")
        self.assertEqual(manifest["heads"]["frame_audio"]["graph"], "text_encoder")
        self.assertAlmostEqual(manifest["heads"]["frame_audio"]["logitScale"],
                               float(source.model.text_audio_logit_scale), places=6)
        data = [f for f in manifest["files"] if f.endswith(".onnx.data")]
        self.assertTrue(data, "graphs above the threshold keep their weights in external data")
        for name, digest in manifest["files"].items():
            self.assertEqual(exporter.sha256(out / name), digest)
        self.assertTrue(json.loads((out / "parity.json").read_text())["passed"])

    def test_clear_errors(self):
        with self.assertRaisesRegex(SystemExit, "is not a folder"):
            loading.load_checkpoint(self.tmp / "missing")
        (self.tmp / "empty").mkdir()
        with self.assertRaisesRegex(SystemExit, "no config.json"):
            loading.load_checkpoint(self.tmp / "empty")
        (self.tmp / "other").mkdir()
        (self.tmp / "other" / "config.json").write_text('{"architectures": ["BertModel"], "model_type": "bert"}')
        with self.assertRaisesRegex(SystemExit, "BertModel.*is not one of"):
            loading.load_checkpoint(self.tmp / "other")
        folder = save_checkpoint(loading.random_init("tiny-frame", 0)[0], self.tmp / "mismatch")
        config = json.loads((folder / "config.json").read_text())
        config["audio_config"]["intermediate_size"] = 48
        (folder / "config.json").write_text(json.dumps(config))
        with self.assertRaisesRegex(SystemExit, "does not match PeAudioFrameLevelModel|cannot load"):
            loading.load_checkpoint(folder)

    def test_combined_checkpoints_share_one_codec_and_read_their_processors(self):
        av_model, frame_model = loading.random_init("tiny", 0)      # random init copies one codec into both
        av = loading.load_checkpoint(save_checkpoint(av_model, self.tmp / "av"))
        frame = loading.load_checkpoint(save_checkpoint(frame_model, self.tmp / "frame"))
        self.assertIn("video processor", av.sources["video"]["imageSize"])
        out = self.tmp / "bundle"
        exporter.export_bundle([av, frame], exporter.ExportOptions(out=out, precisions=("fp32",), seed=4))
        manifest = json.loads((out / "manifest.json").read_text())
        self.assertEqual(manifest["modelId"], "av+frame")
        self.assertEqual([g for g in manifest["graphs"] if g == "audio_codec"], ["audio_codec"])
        self.assertEqual(manifest["heads"]["frame_audio"]["graph"], "text_encoder_frame")
        self.assertEqual(manifest["video"]["imageSize"], 32)
        self.assertEqual(manifest["video"]["resize"], "bilinear")

    def test_combined_checkpoints_must_share_the_codec(self):
        av = save_checkpoint(loading.random_init("tiny-av", 0)[0], self.tmp / "av")
        frame = save_checkpoint(loading.random_init("tiny-frame", 5)[0], self.tmp / "frame")
        models = [loading.load_checkpoint(av), loading.load_checkpoint(frame)]
        with self.assertRaisesRegex(SystemExit, "do not share the DAC codec"):
            exporter.plan(models)


if __name__ == "__main__":
    unittest.main()
