#!/usr/bin/env bash
# Installs what is missing, builds Kiln, compiles the bundled example model
# to an executable and runs it on a sample input.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

kiln_install_packages
kiln_build

MODEL="$KILN_ROOT/examples/mnist_cnn.onnx"
INPUT="$KILN_ROOT/examples/digit7.npy"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo
echo "== kilnc mnist_cnn.onnx -o mnist_cnn   (the default --backend=dnnl)"
"$KILN_BUILD/bin/kilnc" "$MODEL" -o "$WORK/mnist_cnn"
echo
echo "== ./mnist_cnn --info"
"$WORK/mnist_cnn" --info
echo
echo "== ./mnist_cnn digit7.npy -o OUT --bench 100"
"$WORK/mnist_cnn" "$INPUT" -o "$WORK" --bench 100 > "$WORK/bench.json"
/usr/bin/python3 - "$WORK/probabilities.npy" "$WORK/bench.json" <<'PY'
import json
import sys
import numpy as np
probs = np.load(sys.argv[1])[0]
bench = json.load(open(sys.argv[2]))
print("class probabilities:", np.array2string(probs, precision=4,
                                               suppress_small=True))
print(f"predicted class: {int(probs.argmax())}")
runs = bench["runs"] * bench.get("runs_per_sample", 1)
print(f"latency: median {bench['median_us'] / 1000:.3f} ms over "
      f"{runs} runs (min {bench['min_us'] / 1000:.3f} ms)")
PY
