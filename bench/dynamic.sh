#!/usr/bin/env bash
# Times the dynamic zoo's static and dynamic builds side by side and the
# first run at a new batch size, and regenerates
# docs/performance-dynamic.md. Needs only Debian's NumPy and gcc. Arguments
# go to bench/dynamic.py (see --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
kiln_install_packages python3-numpy gcc
kiln_build
export PYTHONPATH="$KILN_ROOT/test${PYTHONPATH:+:$PYTHONPATH}"
/usr/bin/python3 "$KILN_ROOT/bench/dynamic.py" --kilnc "$KILN_BUILD/bin/kilnc" \
  --work "$KILN_BUILD/bench-dynamic" "$@"
