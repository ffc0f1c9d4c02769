#!/usr/bin/env bash
# Creates (or reuses) a Python virtual environment from pinned requirements files.
#
#   scripts/python-env.sh [--venv DIR] [--requirements FILE]...
#
# Defaults: --venv <repo>/.venv, --requirements <repo>/models/contract/requirements.txt.
# Idempotent: the venv records the sha256 of its requirements files and is only (re)built when they
# change, so a second call costs a fraction of a second. Needs only python3 (with its venv module)
# and access to PyPI on the first call. Concurrent callers are serialised with a lock file.
# Prints the path of the venv's python interpreter on stdout (everything else goes to stderr).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv_dir="$repo_root/.venv"
requirements=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --venv) venv_dir="$2"; shift 2 ;;
    --requirements) requirements+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "python-env.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ ${#requirements[@]} -eq 0 ]]; then
  requirements=("$repo_root/models/contract/requirements.txt")
fi

python_bin="${PYTHON:-python3}"
command -v "$python_bin" >/dev/null || { echo "python-env.sh: $python_bin not found on PATH" >&2; exit 1; }

mkdir -p "$(dirname "$venv_dir")"
lock_file="$venv_dir.lock"
exec 9>"$lock_file"
if command -v flock >/dev/null; then flock 9; fi

wanted="$( { "$python_bin" --version 2>&1; for r in "${requirements[@]}"; do cat "$r"; done; } | sha256sum | cut -d' ' -f1)"
stamp="$venv_dir/.requirements.sha256"

if [[ -x "$venv_dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  echo "$venv_dir/bin/python"
  exit 0
fi

echo "python-env.sh: building $venv_dir from ${requirements[*]}" >&2
rm -rf "$venv_dir"
"$python_bin" -m venv "$venv_dir" >&2
req_args=()
for r in "${requirements[@]}"; do req_args+=(-r "$r"); done
"$venv_dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${req_args[@]}" >&2
echo "$wanted" > "$stamp"
echo "$venv_dir/bin/python"
