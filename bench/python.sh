#!/usr/bin/env bash
# Measures the kiln package's cost per call over the C API (and ONNX
# Runtime's InferenceSession.run beside it) and regenerates
# docs/performance-python.md. Builds Kiln with its Python package first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
source "$KILN_ROOT/scripts/venv.sh"
kiln_install_packages
KILN_PYTHON_PACKAGE=ON kiln_build

BENCH="$KILN_ROOT/bench"
# ONNX Runtime and NumPy from PyPI, pinned in bench/requirements.txt; the
# package of the build tree, built for the same Python; kilntest for
# bench/run.py, whose cpu_name the report uses.
kiln_venv bench "$BENCH/requirements.txt" "$BENCH/.venv"
mkdir -p "$KILN_BUILD/bench"
PYTHONPATH="$KILN_BUILD/python:$KILN_ROOT/test" "$KILN_PYTHON" "$BENCH/python_api.py" "$@" \
  > "$KILN_BUILD/bench/performance-python.md"
mv "$KILN_BUILD/bench/performance-python.md" "$KILN_ROOT/docs/performance-python.md"
cat "$KILN_ROOT/docs/performance-python.md"
