"""Compiles each model of the dynamic zoo (test/models/dynamic, exported by
make_zoo.py --dynamic with open batch and sequence dims) once with one
backend, then runs the executable at batch 1, 3 and 16 (and 15 and 19,
from those inputs and outputs), the recurrent and attention models also
at sequence lengths 7, 40 and 97 (batch 3), and compares every output
with PyTorch's
within |a - e| <= atol + rtol * |e| (rtol 1e-3, atol
1e-5); each comparison must also fail against a perturbed reference.

Open dims other than the one the executable lets vary are pinned as kilnc
asks (to the inputs' sizes), once for all batches. The executable must
refuse inputs that disagree on the batch without writing an output.

usage: run_zoo_dynamic.py KILNC ZOO_DIR WORKDIR BACKEND [MODEL ...]
"""

import json
import os
import subprocess
import sys

import numpy as np

from kilntest import compare, kilnc as kt

RTOL, ATOL = 1e-3, 1e-5
BATCHES = (1, 3, 16)
# The sequence lengths of the fixtures input_K_b3_sL.npy (make_zoo.py's
# DYNAMIC_LENGTHS), which the recurrent and attention models run at too.
LENGTHS = (7, 40, 97)


def perturbed(expected):
    """The reference with its largest element moved well past tolerance."""
    bad = expected.copy()
    flat = bad.reshape(-1)
    if flat.size:
        i = int(np.argmax(np.abs(flat)))
        flat[i] += 10 * (ATOL + RTOL * abs(flat[i])) + 1e-3
    return bad


def check(pairs, where):
    """(max error, None) when every (name, actual, expected) pair is within
    tolerance and each fails against a perturbed reference, else (None,
    the reason)."""
    result = compare.compare_outputs(pairs, RTOL, ATOL)
    if not result.startswith("max error"):
        return None, f"{where}: {result}"
    for k in range(len(pairs)):
        spoiled = [(n, a, perturbed(e) if j == k else e)
                   for j, (n, a, e) in enumerate(pairs)]
        if compare.compare_outputs(spoiled, RTOL, ATOL).startswith(
                "max error"):
            return None, f"{where}: output {k} still passes a perturbed " \
                "reference"
    return float(result.split()[-1]), None


def inputs_for(folder, batch):
    paths, k = [], 0
    while os.path.exists(os.path.join(folder, f"input_{k}_b{batch}.npy")):
        paths.append(os.path.join(folder, f"input_{k}_b{batch}.npy"))
        k += 1
    return paths


def run_model(kilnc, folder, work, backend):
    exe = os.path.join(work, "model")
    first = inputs_for(folder, BATCHES[0])
    shapes = [np.load(p).shape for p in first]
    with open(os.path.join(folder, "inputs.json")) as f:
        names = json.load(f)["inputs"]
    error, pins = kt.build_open(kilnc, os.path.join(folder, "model.onnx"),
                                exe, shapes, names, [f"--backend={backend}"])
    if error:
        return False, f"kilnc: {error}"
    sig = kt.signature(exe)
    if not any(isinstance(d, str) for _, _, dims in sig["inputs"]
               for d in dims):
        return False, "the executable's inputs have no open dim: " + str(sig)
    # Besides batches 1, 3 and 16: the first 15 samples of batch 16 (the
    # executable pads them into a block) and batches 16 and 3 together
    # (a block, then three samples), against the same PyTorch outputs cut
    # or joined along the batch (axis 0 of every input and output here).
    def load(kind, batch):
        count = len(inputs_for(folder, 1)) if kind == "input" else \
            len(sig["outputs"])
        if batch == 15:
            return [np.load(os.path.join(folder, f"{kind}_{k}_b16.npy"))[:15]
                    for k in range(count)]
        if batch == 19:
            return [np.concatenate([
                np.load(os.path.join(folder, f"{kind}_{k}_b16.npy")),
                np.load(os.path.join(folder, f"{kind}_{k}_b3.npy"))])
                for k in range(count)]
        return [np.load(os.path.join(folder, f"{kind}_{k}_b{batch}.npy"))
                for k in range(count)]

    worst = 0.0
    for batch in (*BATCHES, 15, 19):
        outdir = os.path.join(work, f"out_b{batch}")
        os.makedirs(outdir, exist_ok=True)
        for f in os.listdir(outdir):
            os.remove(os.path.join(outdir, f))
        paths = inputs_for(folder, batch)
        if not paths:
            paths = []
            for k, array in enumerate(load("input", batch)):
                paths.append(os.path.join(work, f"input_{k}_b{batch}.npy"))
                np.save(paths[-1], array)
        run = subprocess.run([exe, *paths, "-o", outdir],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return False, f"batch {batch}: {run.stderr.strip()}"
        pairs = [(name, np.load(os.path.join(outdir, kt.output_file(name))),
                  expected)
                 for (name, _, _), expected in zip(sig["outputs"],
                                                   load("output", batch))]
        error, problem = check(pairs, f"batch {batch}")
        if problem:
            return False, problem
        worst = max(worst, error)
    # Inputs from different batch sizes must be refused, nothing written.
    if len(first) > 1:
        mixed = [inputs_for(folder, 3)[0], *inputs_for(folder, 16)[1:]]
        outdir = os.path.join(work, "out_mixed")
        os.makedirs(outdir, exist_ok=True)
        for f in os.listdir(outdir):
            os.remove(os.path.join(outdir, f))
        run = subprocess.run([exe, *mixed, "-o", outdir],
                             capture_output=True, text=True)
        if run.returncode == 0 or "disagree" not in run.stderr or \
                os.listdir(outdir):
            return False, ("inputs of batches 3 and 16 were not refused: "
                           + run.stderr.strip())
    # The recurrent and attention models at batch 3 and other sequence
    # lengths, from the same executable.
    lengths = []
    for length in LENGTHS:
        paths = sorted(p for p in os.listdir(folder)
                       if p.startswith("input_") and
                       p.endswith(f"_b3_s{length}.npy"))
        if not paths:
            continue
        lengths.append(length)
        outdir = os.path.join(work, f"out_s{length}")
        os.makedirs(outdir, exist_ok=True)
        for f in os.listdir(outdir):
            os.remove(os.path.join(outdir, f))
        run = subprocess.run(
            [exe, *(os.path.join(folder, f"input_{k}_b3_s{length}.npy")
                    for k in range(len(paths))), "-o", outdir],
            capture_output=True, text=True)
        if run.returncode != 0:
            return False, f"length {length}: {run.stderr.strip()}"
        pairs = [(name, np.load(os.path.join(outdir, kt.output_file(name))),
                  np.load(os.path.join(folder,
                                       f"output_{k}_b3_s{length}.npy")))
                 for k, (name, _, _) in enumerate(sig["outputs"])]
        error, problem = check(pairs, f"length {length}")
        if problem:
            return False, problem
        worst = max(worst, error)
    if len(lengths) not in (0, len(LENGTHS)):
        return False, f"fixtures for lengths {lengths} only"
    pinned = " ".join(p.replace("--shape=", "") for p in pins)
    return True, (f"batches {', '.join(map(str, (*BATCHES, 15, 19)))}"
                  + (f", lengths {', '.join(map(str, lengths))} at batch 3"
                     if lengths else "") + ": max error "
                  f"{worst:.3g}" + (f" (pinned {pinned})" if pinned else ""))


def main():
    kilnc, zoo, work, backend = sys.argv[1:5]
    names = sys.argv[5:] or sorted(
        d for d in os.listdir(zoo)
        if os.path.exists(os.path.join(zoo, d, "model.onnx")))
    failures = 0
    for name in names:
        model_work = os.path.join(work, name)
        os.makedirs(model_work, exist_ok=True)
        ok, result = run_model(kilnc, os.path.join(zoo, name), model_work,
                               backend)
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {result}", flush=True)
    print(f"{len(names) - failures} passed, {failures} failed")
    return 1 if failures or not names else 0


if __name__ == "__main__":
    sys.exit(main())
