#!/usr/bin/env bash
# Benchmarks Kiln against ONNX Runtime, OpenVINO, IREE, TVM, PyTorch and
# torch.compile on this machine and regenerates docs/performance.md and
# docs/performance.png. Installs what it needs: Debian's PyTorch (to export
# the models) and matplotlib, and the peers from PyPI at the versions
# pinned in bench/requirements.txt, in bench/.venv. Arguments go to
# bench/run.py (see --help; --quick runs a subset).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"

source "$KILN_ROOT/scripts/venv.sh"
kiln_install_packages python3-torch python3-onnx \
  python3-matplotlib python3-pil fonts-dejavu-core gcc time
kiln_build

BENCH="$KILN_ROOT/bench"
# The test helpers (kilntest) and the zoo's model definitions (make_zoo).
export PYTHONPATH="$KILN_ROOT/test:$KILN_ROOT/test/models${PYTHONPATH:+:$PYTHONPATH}"
# The peers from PyPI, pinned in bench/requirements.txt.
kiln_venv bench "$BENCH/requirements.txt" "$BENCH/.venv"
export KILN_BENCH_PYTHON="$KILN_PYTHON"
/usr/bin/python3 "$BENCH/run.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench" "$@"
