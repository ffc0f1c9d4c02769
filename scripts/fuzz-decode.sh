#!/usr/bin/env bash
# Long coverage-guided fuzzing campaign of the decode stage (DecodeStageFuzzTest, Jazzer).
#
#   scripts/fuzz-decode.sh [DURATION] [CORPUS_DIR]
#
# DURATION: how long to fuzz, e.g. 30m, 2h, 12h (default 1h); there is no bound on the number of
# inputs. CORPUS_DIR (default ~/.cache/pestream/fuzz-decode) keeps the generated corpus across
# campaigns, so each one starts where the last one stopped; findings (crash-*, timeout-* and
# Crash-*.java reproducers) are written there too. See docs/fuzzing.md.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration="${1:-1h}"
corpus="${2:-$HOME/.cache/pestream/fuzz-decode}"
mkdir -p "$corpus"
cd "$repo_root"
# The upstream modules are built from the reactor; of the unit tests only the fuzz test's seeds
# run, and integration tests are skipped: the fuzz-decode execution is all that runs for long.
exec mvn -B -pl operators -am verify \
  -Dtest=DecodeStageFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -DskipITs \
  -Dfuzz.runs=0 -Dfuzz.duration="$duration" -Dfuzz.dir="$corpus"
