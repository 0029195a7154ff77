"""Compiles Kiln's Keras fixtures (test/models/keras, written by
make_keras_zoo.py) with one backend: every model file of every model (the
Keras 3 `.keras` and `.h5`, the tf.keras 2 `.h5`). Runs each executable on
the fixture's inputs through its command line and compares every output
with Keras' own within |a - e| <= atol + rtol * |e| (rtol 1e-4, atol 1e-5).

Each comparison is also run against a perturbed reference, which must
fail: a check that cannot fail would pass anything.

With --open-batch, only the `.keras` files, compiled without --shape:
the batch stays open and the executable takes the fixture's at run time.

usage: run_keras_zoo.py [--open-batch] KILNC KERAS_DIR WORKDIR BACKEND
                        [MODEL ...]

KERAS_DIR may hold model folders at any depth (test/models/keras-versions
holds one folder per Keras version).
"""

import json
import os
import subprocess
import sys

import numpy as np

from kilntest import compare, kilnc as kt

RTOL, ATOL = 1e-4, 1e-5


def model_files(folder):
    """(label, model path, fixture folder) for each file of a model."""
    found = []
    for sub, files in (("", ("model.keras", "model.h5")), ("tf2", ("model.h5",))):
        base = os.path.join(folder, sub)
        for f in files:
            path = os.path.join(base, f)
            if os.path.exists(path):
                label = (sub + "/" if sub else "") + f
                found.append((label, path, base))
    return found


def perturbed(expected):
    """The reference with its largest element moved well past tolerance."""
    bad = expected.copy()
    flat = bad.reshape(-1)
    i = int(np.argmax(np.abs(flat))) if flat.size else 0
    if flat.size:
        flat[i] += 10 * (ATOL + RTOL * abs(flat[i])) + 1e-3
    return bad


def run_model(kilnc, path, fixtures, work, backend, open_batch=False):
    with open(os.path.join(fixtures, "inputs.json")) as f:
        names = json.load(f)["inputs"]
    inputs = [os.path.join(fixtures, f"input_{k}.npy")
              for k in range(len(names))]
    shapes = [f"--shape={n}=" + "x".join(map(str, np.load(p).shape))
              for n, p in zip(names, inputs)]
    if open_batch:
        # The batch stays open: compiled once for one sample (no blocks:
        # the fixtures' batch is smaller), run at the fixture's batch.
        shapes = ["--block-samples=0"]
    exe = os.path.join(work, "model")
    error = kt.build(kilnc, path, backend, exe, shapes)
    if error:
        return False, f"kilnc: {error}"
    sig = kt.signature(exe)
    if open_batch and not all(isinstance(dims[0], str)
                              for _, _, dims in sig["inputs"]):
        return False, "the batch is not open: " + str(sig["inputs"])
    if len(sig["inputs"]) != len(inputs):
        return False, (f"the executable takes {len(sig['inputs'])} inputs, "
                       f"the model {len(inputs)}")
    outdir = os.path.join(work, "out")
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        os.remove(os.path.join(outdir, f))
    run = subprocess.run([exe, *inputs, "-o", outdir], capture_output=True,
                         text=True)
    if run.returncode != 0:
        return False, f"run: {run.stderr.strip()}"
    pairs = []
    for k, (name, _, _) in enumerate(sig["outputs"]):
        ref = os.path.join(fixtures, f"output_{k}.npy")
        if not os.path.exists(ref):
            return False, f"the executable gives output {k}, Keras did not"
        pairs.append((name, np.load(os.path.join(outdir, kt.output_file(name))),
                      np.load(ref)))
    if os.path.exists(os.path.join(fixtures,
                                   f"output_{len(sig['outputs'])}.npy")):
        return False, "Keras gives more outputs than the executable"
    result = compare.compare_outputs(pairs, RTOL, ATOL)
    ok = result.startswith("max error")
    if ok:
        for k in range(len(pairs)):
            spoiled = [(n, a, perturbed(e) if j == k else e)
                       for j, (n, a, e) in enumerate(pairs)]
            if compare.compare_outputs(spoiled, RTOL, ATOL).startswith(
                    "max error"):
                return False, f"output {k} still passes a perturbed reference"
    return ok, result


def main():
    args = sys.argv[1:]
    open_batch = "--open-batch" in args
    if open_batch:
        args.remove("--open-batch")
    kilnc, zoo, work, backend = args[:4]
    sys.argv = [sys.argv[0]] + args
    # A model is a folder with inputs.json (its tf2/ files belong to it);
    # folders of models may nest (keras-versions/VERSION/MODEL).
    names = sys.argv[5:] or sorted(
        os.path.relpath(root, zoo) for root, _, files in os.walk(zoo)
        if "inputs.json" in files and os.path.basename(root) != "tf2")
    failures = total = 0
    for name in names:
        for label, path, fixtures in model_files(os.path.join(zoo, name)):
            if open_batch and label != "model.keras":
                continue
            total += 1
            model_work = os.path.join(work, name, label.replace("/", "_"))
            os.makedirs(model_work, exist_ok=True)
            ok, result = run_model(kilnc, path, fixtures, model_work, backend,
                                   open_batch)
            failures += not ok
            print(f"{'PASS' if ok else 'FAIL'} {name}/{label}: {result}",
                  flush=True)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
