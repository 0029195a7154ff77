#!/usr/bin/env bash
# Fuzzes Kiln with libFuzzer (clang-22, AddressSanitizer + UBSan):
#
#   ./scripts/fuzz.sh [SECONDS] [TARGET ...]
#
# TARGET is import (the ONNX importer on raw bytes), compile (models down
# to LLVM IR) or keras (the Keras importer on model files, and on a
# config.json + NUL + model.weights.h5 form that gets past the zip's
# checksums); import and compile by default, run side by side, each for
# SECONDS (default 600) of wall time. The targets are built in the checked
# build, ./build-sanitize (see test.sh --sanitize); each corpus
# (build-sanitize/fuzz/TARGET/corpus) is seeded with the models of
# ../shared/onnx-tests (keras: with the Keras fixtures of test/models/keras)
# and kept between runs. Inputs that crash land in
# build-sanitize/fuzz/TARGET/ as crash-*, timeout-* or oom-*: reproduce one
# with `build-sanitize/bin/kiln-fuzz-TARGET FILE`, fix it, and add the file
# to test/Fuzz/regressions/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(import compile)

kiln_checked_build "${targets[@]/#/kiln-fuzz-}"

tests="${KILN_ONNX_TESTS:-$KILN_ROOT/../shared/onnx-tests}"
pids=()
for target in "${targets[@]}"; do
  work="$KILN_BUILD/fuzz/$target"
  mkdir -p "$work/corpus" "$work/seeds"
  if [ "$target" = keras ]; then
    if [ -z "$(ls -A "$work/seeds")" ]; then
      /usr/bin/python3 - "$KILN_ROOT/test/models/keras" "$work/seeds" <<'PY'
import os, shutil, sys, zipfile
fixtures, seeds = sys.argv[1:3]
for root, _, files in os.walk(fixtures):
    for f in files:
        path = os.path.join(root, f)
        name = os.path.relpath(path, fixtures).replace("/", "_")
        if f.endswith(".h5"):
            shutil.copy(path, os.path.join(seeds, name))
        elif f.endswith(".keras"):
            shutil.copy(path, os.path.join(seeds, name))
            with zipfile.ZipFile(path) as z:
                parts = z.read("config.json") + b"\0" + z.read("model.weights.h5")
            with open(os.path.join(seeds, name + ".parts"), "wb") as out:
                out.write(parts)
PY
    fi
  elif [ -d "$tests" ] && [ -z "$(ls -A "$work/seeds")" ]; then
    # Models up to 16 KiB: the node tests and the small converted ones.
    find "$tests" -name '*.onnx' -size -16k -print0 |
      while IFS= read -r -d '' model; do
        cp "$model" "$work/seeds/$(echo "$model" | md5sum | cut -c1-16).onnx"
      done
  fi
  max_len=65536
  [ "$target" = compile ] && max_len=16384
  [ "$target" = keras ] && max_len=1048576
  "$KILN_BUILD/bin/kiln-fuzz-$target" "$work/corpus" "$work/seeds" \
    "$KILN_ROOT/test/Fuzz/regressions" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=60 \
    -rss_limit_mb=6144 -print_final_stats=1 \
    -artifact_prefix="$work/" >"$work/log.txt" 2>&1 &
  pids+=($!)
  echo "kiln: fuzzing $target for ${seconds}s (log: $work/log.txt)"
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
  work="$KILN_BUILD/fuzz/${targets[$i]}"
  echo "== ${targets[$i]}"
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY)' \
    "$work/log.txt" || true
  ls "$work" | grep -E '^(crash|timeout|oom|leak)-' || true
done
exit $status
