#!/usr/bin/env bash
# Creates (or updates) the exporter's virtual environment in models/export/.venv.
# Idempotent: a venv installed from the current requirements.txt + constraints.txt is left alone.
# constraints.txt pins every transitive package (pip freeze of a working venv).
# One-time per machine: PyPI's Linux torch wheel pulls ~3 GB of CUDA wheels. Never run in CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
stamp="$venv/.requirements.sha256"
want="$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "exporter venv up to date: $venv"
  exit 0
fi
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --upgrade pip >/dev/null
"$venv/bin/python" -m pip install -r "$here/requirements.txt" -c "$here/constraints.txt"
"$venv/bin/python" -c 'import torch, transformers, onnx, onnxruntime
from transformers import PeAudioVideoModel, PeAudioFrameLevelModel, PeVideoModel, PeAudioModel
print("torch", torch.__version__, "transformers", transformers.__version__, "onnxruntime", onnxruntime.__version__)'
echo "$want" > "$stamp"
echo "exporter venv ready: $venv"
