#!/usr/bin/env bash
# Installs what is missing, builds Kiln and compiles the bundled example
# model.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

kiln_install_packages
kiln_build

MODEL="$KILN_ROOT/examples/mnist_cnn.mlir"
echo
echo "== kilnc $MODEL --emit=graph"
"$KILN_BUILD/bin/kilnc" "$MODEL" --emit=graph
echo
echo "kiln: this build has no backend yet, so the demo stops after the graph"
echo "kiln: stage; compiling to an executable (--emit=exe) is not available."
