#!/usr/bin/env bash
# Benchmarks Kiln against TensorFlow (eager and XLA) on Keras models and
# regenerates docs/performance-keras.md. Installs what it needs: the
# pinned Keras and TensorFlow in .venv/keras (PyPI), Debian's PyTorch and
# ONNX for the CNN's NCHW twin. Arguments go to bench/keras_bench.py (see
# --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
source "$KILN_ROOT/scripts/venv.sh"
kiln_install_packages python3-torch python3-onnx
kiln_build
kiln_venv keras "$KILN_ROOT/test/models/keras/requirements.txt"

work="$KILN_BUILD/bench-keras"
mkdir -p "$work"
export PYTHONPATH="$KILN_ROOT/test:$KILN_ROOT/test/models${PYTHONPATH:+:$PYTHONPATH}"
"$KILN_PYTHON" "$KILN_ROOT/bench/keras_models.py" "$work"
/usr/bin/python3 "$KILN_ROOT/bench/keras_nchw.py" "$work"
/usr/bin/python3 "$KILN_ROOT/bench/keras_bench.py" --python "$KILN_PYTHON" \
  --kilnc "$KILN_BUILD/bin/kilnc" --work "$work" "$@"
