"""Command line: `python -m pestream_export {export,fixture,bench,capacity} ...` (run from models/export with the
exporter venv, see README.md)."""
import argparse
import os
import sys
from pathlib import Path

from .loading import setup_offline

setup_offline()     # before transformers is imported anywhere: no hub access at run time


def _export(args):
    from . import exporter, loading
    if bool(args.checkpoint) == bool(args.random_init):
        raise SystemExit("give either --checkpoint DIR (one or more) or --random-init --config NAME")
    if args.random_init:
        if not args.config:
            raise SystemExit("--random-init needs --config NAME")
        models = loading.random_init(args.config, args.init_seed)
    else:
        kinds = args.kind or [None] * len(args.checkpoint)
        if len(kinds) != len(args.checkpoint):
            raise SystemExit("give --kind once per --checkpoint, or not at all")
        models = [loading.load_checkpoint(Path(c), k) for c, k in zip(args.checkpoint, kinds)]
    options = exporter.ExportOptions(
        out=Path(args.out), precisions=tuple(args.precision.split(",")), model_id=args.model_id,
        version=args.version, license=args.license, seed=args.seed,
        external_data_threshold=int(args.external_data_threshold_mb * 1024 * 1024))
    for bundle in exporter.export_bundle(models, options):
        print(f"bundle written: {bundle}")


def _fixture(args):
    from . import fixture
    fixture.write_fixture(Path(args.out), Path(args.reference_out), Path(args.spans_out))


def _preprocessing_fixture(args):
    from . import preprocessing
    preprocessing.write_fixture(Path(args.out), args.regenerate_media, Path(args.bundle))


def _bench(args):
    from . import bench
    bench.run(args)


def _capacity(args):
    from . import capacity
    capacity.run(args)


def _deterministic_hashing(argv):
    """Exports are byte-reproducible only with a fixed string hash seed (transformers iterates a set of
    layer types while tracing, which orders graph nodes): re-run this process with PYTHONHASHSEED=0."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, "-m", "pestream_export", *argv],
                  {**os.environ, "PYTHONHASHSEED": "0"})


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    _deterministic_hashing(argv)
    parser = argparse.ArgumentParser(prog="pestream_export", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="checkpoint(s) or random init -> bundle(s)")
    export.add_argument("--checkpoint", action="append", help="local HF checkpoint folder (repeat to combine "
                        "PE-AV and PE-A-Frame into one bundle)")
    export.add_argument("--kind", action="append", choices=["pe_audio_video", "pe_audio_frame", "pe_audio",
                                                            "pe_video"],
                        help="model kind per --checkpoint when config.json has no architectures entry")
    export.add_argument("--random-init", action="store_true", help="random weights at a named config")
    export.add_argument("--config", help="named config for --random-init: tiny, tiny-av, tiny-frame, "
                        "default-av, default-frame, default-audio, default-video")
    export.add_argument("--init-seed", type=int, default=0, help="seed of the random weights")
    export.add_argument("--out", required=True, help="bundle folder (one precision) or parent of <precision>/")
    export.add_argument("--precision", default="fp32,fp16", help="fp32, fp16 or fp32,fp16")
    export.add_argument("--seed", type=int, help="seed of the parity inputs (default: fresh)")
    export.add_argument("--model-id")
    export.add_argument("--version", default="1.0.0")
    export.add_argument("--license", help="licence when the checkpoint README does not declare one")
    export.add_argument("--external-data-threshold-mb", type=float, default=2048.0,
                        help="graphs with more weight bytes than this keep them in <graph>.onnx.data")
    export.set_defaults(func=_export)

    fixture = commands.add_parser("fixture", help="the tiny CI fixture bundle + PyTorch reference outputs")
    fixture.add_argument("--out", default="../bundles/tiny-random")
    fixture.add_argument("--reference-out", default="../fixtures/tiny-random-pytorch.json")
    fixture.add_argument("--spans-out", default="../fixtures/span-rule-reference.json")
    fixture.set_defaults(func=_fixture)

    pre = commands.add_parser("preprocessing-fixture", help="media files + what the transformers processors "
                              "make of them, for the Java decode-stage parity test")
    pre.add_argument("--out", default="../fixtures/preprocessing")
    pre.add_argument("--regenerate-media", action="store_true", help="re-encode the media files too (they are "
                     "committed; x264 output can change with the FFmpeg build)")
    pre.add_argument("--bundle", default="../bundles/tiny-random", help="the tiny-random bundle (its tokenizer) of "
                     "the end-to-end part")
    pre.set_defaults(func=_preprocessing_fixture)

    bench = commands.add_parser("bench", help="ONNX Runtime vs PyTorch CPU throughput per graph")
    bench.add_argument("--config", action="append", help="named config(s), default: default-av, default-frame")
    bench.add_argument("--out", default="build/bench", help="where the benchmark bundles are exported")
    bench.add_argument("--seconds", type=float, default=4.0, help="audio seconds per input clip")
    bench.add_argument("--repeats", type=int, default=3)
    bench.add_argument("--threads", type=int, default=2)
    bench.add_argument("--skip-export", action="store_true", help="reuse bundles already in --out")
    bench.set_defaults(func=_bench)

    capacity = commands.add_parser("capacity", help="GPU throughput per graph (PyTorch, bf16, batch 1-64) and "
                                   "streams per GPU per frame policy")
    capacity.add_argument("--tiny", action="store_true", help="the tiny configs on the CPU (checks the script)")
    capacity.add_argument("--budget-seconds", type=float, default=420,
                          help="stop timing new batch sizes after this long")
    capacity.set_defaults(func=_capacity)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
