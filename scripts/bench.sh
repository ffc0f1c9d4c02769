#!/usr/bin/env bash
# Runs a benchmark main class (src/test/java of a module) with that module's test class path.
# Benchmarks print ratios measured side by side in one run; they are not part of CI.
#   scripts/bench.sh tests dev.pestream.tests.bench.PerceptionBenchmark --bundle bench --streams 4
# BENCH_JAVA_OPTS adds JVM options after the defaults (so -Xmx there wins), e.g. a fixed heap for the soak.
set -euo pipefail
module=$1; main=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mvn -q -B -pl "$module" -am package -DskipTests dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
scratch="$root/$module/target/bench-scratch"
mkdir -p "$scratch/tmp" "$scratch/home"
cp="$root/$module/target/test-classes:$root/$module/target/classes:$(cat "$root/$module/target/test-classpath.txt")"
cd "$root/$module"
ORT_DISABLE_TELEMETRY=1 HOME="$scratch/home" TMPDIR="$scratch/tmp" exec java -Xmx6g -XX:+UseParallelGC -XX:ErrorFile="$scratch/hs_err_%p.log" -Djava.io.tmpdir="$scratch/tmp" \
    -Dorg.bytedeco.javacpp.cachedir="${HOME}/.javacpp/cache" ${BENCH_JAVA_OPTS:-} -cp "$cp" "$main" "$@"
