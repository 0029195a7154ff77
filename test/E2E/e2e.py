"""Helpers shared by the end-to-end runners: compiling with kilnc, reading
an executable's signature and comparing outputs with references."""

import subprocess

import numpy as np


def compile_model(kilnc, model, backend, exe, extra=()):
    """Runs kilnc; returns None on success, else its error text."""
    compiled = subprocess.run(
        [kilnc, model, f"--backend={backend}", "-o", exe, *extra],
        capture_output=True, text=True)
    if compiled.returncode != 0:
        return compiled.stderr.strip() or f"exit {compiled.returncode}"
    return None


def light_input(dims):
    """The input ONNX's light-model outputs were made with: for a float
    input of shape S, arange(prod(S)).reshape(S) / prod(S), in float32."""
    count = int(np.prod(dims))
    return (np.arange(count) / count).reshape(dims).astype(np.float32)


def signature(exe):
    """{"inputs": [(name, dtype, dims)], "outputs": [...]} from --info."""
    info = subprocess.run([exe, "--info"], capture_output=True, text=True,
                          check=True).stdout
    sections, section = {"inputs": [], "outputs": []}, None
    for line in info.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            section = line[:-1]
        elif section in sections:
            name, rest = line.strip().split(": ", 1)
            dtype, shape = rest.split(" ", 1)
            dims = [int(d) for d in shape.strip("[]").split(", ") if d]
            sections[section].append((name, dtype, dims))
    return sections


def mismatch(actual, expected, rtol, atol):
    """None when |actual - expected| <= atol + rtol * |expected| everywhere
    (and shapes and dtypes agree), else a description of the difference."""
    if actual.shape != expected.shape:
        return f"shape {actual.shape}, expected {expected.shape}"
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if expected.dtype.kind not in "fc":
        bad = actual != expected
        return f"{bad.sum()} of {bad.size} elements differ" if bad.any() else None
    a, e = actual.astype(np.float64), expected.astype(np.float64)
    if (np.isnan(a) != np.isnan(e)).any():
        return "NaN where the reference has none, or the other way round"
    error = np.abs(np.nan_to_num(a - e))
    bad = error > atol + rtol * np.abs(np.nan_to_num(e))
    if bad.any():
        return f"{bad.sum()} of {bad.size} elements off, max error {error.max():.3g}"
    return None


def max_error(actual, expected):
    if expected.dtype.kind not in "fc" or expected.size == 0:
        return 0.0
    return float(np.nanmax(np.abs(actual.astype(np.float64) - expected)))


def compare_outputs(pairs, rtol, atol):
    """Compares (name, actual, expected) arrays; "max error E" when all
    match, else what differs first."""
    worst = 0.0
    for name, actual, expected in pairs:
        problem = mismatch(actual, expected, rtol, atol)
        if problem:
            return f"output {name}: {problem}"
        worst = max(worst, max_error(actual, expected))
    return f"max error {worst:.3g}"
