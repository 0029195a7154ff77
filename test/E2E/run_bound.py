"""Runs ONNX backend tests whose weights are graph inputs with those inputs
bound to constants (kilnc --bind NAME=FILE.pb), as a model with trained
weights has them, so that the dnnl backend maps the op to its oneDNN
primitive; checks that it did (the op shows as kiln_backend.dnnl_call PRIMITIVE at
--emit=linalg) and compares the outputs with ONNX's (rtol 1e-3, atol 1e-5).

usage: run_bound.py KILNC NODE_TESTS_DIR WORKDIR BACKEND TEST:PRIMITIVE ...
Every input after the first is bound.
"""

import os
import subprocess
import sys

import numpy as np

from kilntest import compare, kilnc as kt, onnxtests, tensorproto

RTOL, ATOL = 1e-3, 1e-5


def run_test(kilnc, folder, primitive, work, backend):
    model = os.path.join(folder, "model.onnx")
    data = onnxtests.data_sets(model)[0]
    inputs = onnxtests.numbered(data, "input_")
    binds = []
    for path in inputs[1:]:
        name, _ = tensorproto.name_and_dims(path)
        binds.append(f"--bind={name}={path}")
    # The tests' layers are small: put them on oneDNN whatever their size
    # (and their transposed convolutions' few output channels).
    if backend == "dnnl":
        binds += ["--dnnl-min-work=0", "--dnnl-deconv-min-channels=0"]
    ir = subprocess.run([kilnc, model, f"--backend={backend}", "--emit=linalg",
                         *binds], capture_output=True, text=True)
    if ir.returncode != 0:
        return f"kilnc: {ir.stderr.strip()}"
    if backend == "dnnl" and f'kiln_backend.dnnl_call "{primitive}"' not in ir.stdout:
        return f"no oneDNN {primitive} primitive in the compiled model"
    exe = os.path.join(work, "model")
    error = kt.build(kilnc, model, backend, exe, binds)
    if error:
        return f"kilnc: {error}"
    outdir = os.path.join(work, "out")
    os.makedirs(outdir, exist_ok=True)
    run = subprocess.run([exe, inputs[0], "-o", outdir], capture_output=True,
                         text=True)
    if run.returncode != 0:
        return f"run: {run.stderr.strip()}"
    names = [name for name, _, _ in kt.signature(exe)["outputs"]]
    return compare.compare_outputs(
        ((names[k], np.load(os.path.join(outdir, f"{names[k]}.npy")),
          tensorproto.read(path)[1])
         for k, path in enumerate(onnxtests.numbered(data, "output_"))),
        RTOL, ATOL)


def main():
    kilnc, root, work, backend = sys.argv[1:5]
    failures = 0
    for spec in sys.argv[5:]:
        name, primitive = spec.split(":")
        test_work = os.path.join(work, name)
        os.makedirs(test_work, exist_ok=True)
        result = run_test(kilnc, os.path.join(root, name), primitive,
                          test_work, backend)
        ok = result.startswith("max error")
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {result}", flush=True)
    print(f"{len(sys.argv) - 5 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
