"""Compiles ONNX's light models with kilnc and checks their outputs.

Each model gets ONNX's input: for every float input of shape S,
arange(prod(S)).reshape(S) / prod(S); its output must match
light_<name>_output_0.pb within |a - e| <= atol + rtol * |e| (rtol 1e-3,
atol 1e-7, as ONNX's runner).

usage: run_light.py KILNC LIGHT_DIR WORKDIR BACKEND [MODEL ...]
"""

import os
import subprocess
import sys

import numpy as np

from kilntest import compare, kilnc as kt, tensorproto


def main():
    kilnc, light, work, backend = sys.argv[1:5]
    names = sys.argv[5:] or sorted(
        f[len("light_"):-len(".onnx")] for f in os.listdir(light)
        if f.endswith(".onnx"))
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name in names:
        model = os.path.join(light, f"light_{name}.onnx")
        exe = os.path.join(work, name)
        error = kt.build(kilnc, model, backend, exe)
        if error:
            print(f"FAIL {name}: kilnc: {error}")
            failures += 1
            continue
        args = []
        for index, (_, _, dims) in enumerate(kt.signature(exe)["inputs"]):
            path = os.path.join(work, f"{name}_input_{index}.npy")
            np.save(path, kt.light_input(dims))
            args.append(path)
        outdir = os.path.join(work, f"{name}_out")
        os.makedirs(outdir, exist_ok=True)
        run = subprocess.run([exe] + args + ["-o", outdir], capture_output=True,
                             text=True)
        if run.returncode != 0:
            print(f"FAIL {name}: run: {run.stderr.strip()}")
            failures += 1
            continue
        _, expected = tensorproto.read(
            os.path.join(light, f"light_{name}_output_0.pb"))
        outputs = sorted(os.listdir(outdir))
        actual = np.load(os.path.join(outdir, outputs[0]))
        problem = compare.mismatch(actual, expected, 1e-3, 1e-7)
        if problem:
            print(f"FAIL {name}: {problem}")
            failures += 1
        else:
            print(f"PASS {name}: max error {compare.max_error(actual, expected):.3g}")
    print(f"{len(names) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
