#!/usr/bin/env bash
# Peak resident memory of the bench's models against their weights and
# workspace, on both backends; regenerates docs/performance-memory.md.
# Needs the models ./bench/run.sh exported. Arguments go to
# bench/memory.py (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
kiln_install_packages python3-onnx python3-numpy binutils gcc
kiln_build
/usr/bin/python3 "$KILN_ROOT/bench/memory.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench" "$@"
