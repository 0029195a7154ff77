"""Compiles Kiln's model zoo (test/models) with one backend, runs each
executable on the zoo's inputs through its command line and compares every
output with PyTorch's within |a - e| <= atol + rtol * |e| (rtol 1e-3,
atol 1e-5).

usage: run_zoo.py KILNC ZOO_DIR WORKDIR BACKEND [MODEL ...]
"""

import os
import subprocess
import sys

import numpy as np

from kilntest import compare, kilnc as kt

RTOL, ATOL = 1e-3, 1e-5


def run_model(kilnc, folder, work, backend):
    exe = os.path.join(work, "model")
    error = kt.build(kilnc, os.path.join(folder, "model.onnx"),
                              backend, exe)
    if error:
        return f"kilnc: {error}"
    sig = kt.signature(exe)
    inputs = [os.path.join(folder, f"input_{k}.npy")
              for k in range(len(sig["inputs"]))]
    for path in inputs:
        if not os.path.exists(path):
            return f"the executable takes {len(sig['inputs'])} inputs; {path} is missing"
    outdir = os.path.join(work, "out")
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        os.remove(os.path.join(outdir, f))
    run = subprocess.run([exe, *inputs, "-o", outdir], capture_output=True,
                         text=True)
    if run.returncode != 0:
        return f"run: {run.stderr.strip()}"
    return compare.compare_outputs(
        ((name, np.load(os.path.join(outdir, f"{name}.npy")),
          np.load(os.path.join(folder, f"output_{k}.npy")))
         for k, (name, _, _) in enumerate(sig["outputs"])), RTOL, ATOL)


def main():
    kilnc, zoo, work, backend = sys.argv[1:5]
    names = sys.argv[5:] or sorted(
        d for d in os.listdir(zoo)
        if os.path.exists(os.path.join(zoo, d, "model.onnx")))
    failures = 0
    for name in names:
        model_work = os.path.join(work, name)
        os.makedirs(model_work, exist_ok=True)
        result = run_model(kilnc, os.path.join(zoo, name), model_work, backend)
        ok = result.startswith("max error")
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {result}", flush=True)
    print(f"{len(names) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
