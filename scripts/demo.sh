#!/usr/bin/env bash
# Installs what is missing, builds Kiln, compiles the bundled example model
# to an executable and runs it on a sample input.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

kiln_install_packages
kiln_build

MODEL="$KILN_ROOT/examples/mnist_cnn.mlir"
INPUT="$KILN_ROOT/examples/digit7.npy"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo
echo "== kilnc $MODEL --backend=llvm -o mnist_cnn"
"$KILN_BUILD/bin/kilnc" "$MODEL" --backend=llvm -o "$WORK/mnist_cnn"
echo
echo "== ./mnist_cnn --info"
"$WORK/mnist_cnn" --info
echo
echo "== ./mnist_cnn digit7.npy -o OUT"
"$WORK/mnist_cnn" "$INPUT" -o "$WORK"
/usr/bin/python3 - "$WORK/probabilities.npy" <<'PY'
import sys
import numpy as np
probs = np.load(sys.argv[1])[0]
print("class probabilities:", np.array2string(probs, precision=4))
print("predicted class:", int(probs.argmax()))
PY
echo
echo "== ./mnist_cnn digit7.npy --bench 50"
"$WORK/mnist_cnn" "$INPUT" -o "$WORK" --bench 50
echo
echo "kiln: the example's weights are uniform placeholders, so every class is"
echo "kiln: equally likely; the pipeline from kiln IR to a running executable is"
echo "kiln: what this demo shows."
