#!/bin/sh
# Installs Kiln into a fresh prefix with cmake --install, then compiles the
# zoo's MNIST model with the installed kilnc (which finds its runtime in
# PREFIX/lib, not in the build tree) to an executable and to a library,
# and checks the executable's output against PyTorch's.
# usage: install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work/out"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/kilnc bin/kiln-opt lib/libkiln_runtime.a lib/libkiln_main.a \
         lib/libkiln_library.a include/kiln/Runtime/KilnModel.h; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
model="$src/test/models/mnist_cnn"
"$work/prefix/bin/kilnc" "$model/model.onnx" --backend=llvm -o "$work/mnist"
"$work/mnist" "$model/input_0.npy" -o "$work/out"
/usr/bin/python3 - "$work/out/probabilities.npy" "$model/output_0.npy" <<'PY'
import sys
import numpy as np
actual, expected = np.load(sys.argv[1]), np.load(sys.argv[2])
assert actual.shape == expected.shape, (actual.shape, expected.shape)
assert np.allclose(actual, expected, rtol=1e-3, atol=1e-5), abs(actual - expected).max()
print("installed kilnc: output matches")
PY
"$work/prefix/bin/kilnc" "$model/model.onnx" --backend=llvm --emit=lib \
  -o "$work/libmnist.so"
[ -f "$work/mnist.h" ] && nm -D "$work/libmnist.so" | grep -q " T kiln_run"
echo "installed kilnc: library and header written"
