#!/bin/sh
# Installs Kiln into a fresh prefix with cmake --install, then compiles the
# zoo's MNIST model with the installed kilnc (which finds its runtime in
# PREFIX/lib, not in the build tree) with each backend to an executable and
# to a library, and checks the executables' output against PyTorch's.
# usage: install.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work/out"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/kilnc bin/kiln-opt lib/libkiln_runtime.a lib/libkiln_main.a \
         lib/libkiln_library.a lib/libkiln_dnnl.a \
         include/kiln/Runtime/KilnModel.h; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
model="$src/test/models/mnist_cnn"
for backend in llvm dnnl; do
  "$work/prefix/bin/kilnc" "$model/model.onnx" --backend=$backend -o "$work/mnist-$backend"
  "$work/mnist-$backend" "$model/input_0.npy" -o "$work/out"
  /usr/bin/python3 - "$work/out/probabilities.npy" "$model/output_0.npy" "$backend" <<'PY'
import sys
import numpy as np
actual, expected = np.load(sys.argv[1]), np.load(sys.argv[2])
assert actual.shape == expected.shape, (actual.shape, expected.shape)
assert np.allclose(actual, expected, rtol=1e-3, atol=1e-5), abs(actual - expected).max()
print("installed kilnc: output matches with", sys.argv[3])
PY
  "$work/prefix/bin/kilnc" "$model/model.onnx" --backend=$backend --emit=lib \
    -o "$work/libmnist-$backend.so"
  [ -f "$work/mnist-$backend.h" ] && nm -D "$work/libmnist-$backend.so" | grep -q " T kiln_run"
  echo "installed kilnc: library and header written with $backend"
done
