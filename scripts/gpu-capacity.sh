#!/usr/bin/env bash
# GPU capacity of the PE-AV / PE-A-Frame graphs (PyTorch, random weights, bf16, batch 1 -> 64) and the
# streams-per-GPU table per frame policy; one command, under 8 minutes on a GPU machine.
#   scripts/gpu-capacity.sh            # on a machine with CUDA and the exporter's venv
#   scripts/gpu-capacity.sh --tiny     # the tiny configs on the CPU: checks the script (not in CI)
# Needs the exporter's torch venv: models/export/setup-venv.sh (once per machine). Output: docs/capacity.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python="$root/models/export/.venv/bin/python"
if [[ ! -x "$python" ]]; then
  echo "error: no exporter venv at models/export/.venv (run models/export/setup-venv.sh first)" >&2
  exit 2
fi
cd "$root/models/export"
HF_HUB_OFFLINE=1 exec timeout 480 "$python" -m pestream_export capacity "$@"
