#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo start as real servers or tools
# (scripts/system-packages.txt: one package per line, '#' comments), or the packages named as
# arguments. Idempotent and quick when everything is there: only missing packages are installed.
# Runs apt-get as root, or through sudo. Concurrent callers are serialised with a lock file.
# Exit 0 when every package is installed; otherwise 1 with one line saying which are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -gt 0 ]]; then
  wanted=("$@")
else
  mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/system-packages.txt" | grep -v '^$')
fi
missing() {
  local p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
mapfile -t todo < <(missing)
[[ ${#todo[@]} -eq 0 ]] && exit 0
command -v apt-get >/dev/null || { echo "system-packages.sh: missing ${todo[*]} and no apt-get: install them with your package manager" >&2; exit 1; }
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
exec 9>"${TMPDIR:-/tmp}/pestream-system-packages.lock"
command -v flock >/dev/null && flock 9
mapfile -t todo < <(missing)
[[ ${#todo[@]} -eq 0 ]] && exit 0
echo "system-packages.sh: installing ${todo[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || true
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${todo[@]}" >&2; then
  echo "system-packages.sh: could not install ${todo[*]}: run 'sudo apt-get install ${todo[*]}'" >&2
  exit 1
fi
