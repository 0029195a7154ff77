"""Compiling models with kilnc and driving the executables it writes."""

import re
import subprocess

import numpy as np


def compile_model(kilnc, model, args=(), timeout=None, inputs=None,
                  pin=True, why=None):
    """Runs `kilnc MODEL ARGS...`; returns (completed process, flags added).

    With `inputs` (name -> (TensorProto path, dims), e.g. an ONNX test's
    data), does as a user would when kilnc asks: pins symbolic dims to the
    inputs' shapes (--shape; not when `pin` is false) and binds the inputs
    that decide shapes to their data (--bind), then compiles again. Raises
    TimeoutExpired."""
    flags = []
    for _ in range(8 if inputs else 1):
        run = subprocess.run([kilnc, model, *args, *flags],
                             capture_output=True, text=True, timeout=timeout)
        if run.returncode != 1 or not inputs:
            break
        bind = re.search(r"--bind (\S+)=FILE\.pb", run.stderr)
        if pin and ("pin the shape with --shape" in run.stderr or
                "pin it with --shape" in run.stderr or
                "pin the others with --shape" in run.stderr) and not any(
                f.startswith("--shape") for f in flags):
            flags += [f"--shape={n}=" + "x".join(map(str, d))
                      for n, (_, d) in inputs.items()]
        elif bind and bind.group(1) in inputs and \
                f"--bind={bind.group(1)}=" not in " ".join(flags):
            flags.append(f"--bind={bind.group(1)}={inputs[bind.group(1)][0]}")
            asked = re.search(r"\((\w+)\): error: unsupported: input '([^']*)'",
                              run.stderr)
            if why is not None and asked:
                why.append(f"{asked.group(1)} '{asked.group(2)}'")
        else:
            break
    return run, flags


def build(kilnc, model, backend, exe, extra=()):
    """Compiles `model` into the executable `exe`; None on success, else
    kilnc's error text."""
    run, _ = compile_model(kilnc, model, [f"--backend={backend}", "-o", exe,
                                          *extra])
    if run.returncode != 0:
        return run.stderr.strip() or f"exit {run.returncode}"
    return None


def signature(exe):
    """{"inputs": [(name, dtype, dims)], "outputs": [...]} from --info."""
    info = subprocess.run([exe, "--info"], capture_output=True, text=True,
                          check=True).stdout
    sections, section = {"inputs": [], "outputs": []}, None
    for line in info.splitlines():
        if not line.startswith(" "):
            # A section header, or a range line ("seq: 1 to 128").
            section = line[:-1] if line.endswith(":") else None
        elif section in sections:
            name, rest = line.strip().rsplit(": ", 1)
            dtype, shape = rest.split(" ", 1)
            # An open dim reads "batch" (or "3*batch*2"): kept as text.
            dims = [int(d) if d.isdigit() else d
                    for d in shape.strip("[]").split(", ") if d]
            sections[section].append((name, dtype, dims))
    return sections


def output_file(name):
    """The file name the executable writes output `name` to."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".npy"


def light_input(dims):
    """The input ONNX's light-model outputs were made with: for a float
    input of shape S, arange(prod(S)).reshape(S) / prod(S), in float32."""
    count = int(np.prod(dims))
    return (np.arange(count) / count).reshape(dims).astype(np.float32)


def build_open(kilnc, model, exe, shapes, names, args=()):
    """Compiles a model with open dims once, letting one vary at run time
    and pinning the others as kilnc asks, to the sizes in `shapes` (one
    per graph input, named `names`). Returns (error or None, pin flags)."""
    pins = []
    for _ in range(2):
        run = subprocess.run([kilnc, model, "-o", exe, *args, *pins],
                             capture_output=True, text=True)
        if run.returncode == 0:
            return None, pins
        asked = re.search(r"pin the others with((?: --shape \S+=SIZE)+)",
                          run.stderr)
        if not asked or pins:
            return run.stderr.strip() or f"exit {run.returncode}", pins
        where = dict((sym, (inp, int(dim))) for sym, inp, dim in re.findall(
            r"'([^']+)': input '([^']+)' dim (\d+)", run.stderr))
        for sym in re.findall(r"--shape (\S+)=SIZE", asked.group(1)):
            inp, dim = where[sym]
            pins.append(f"--shape={sym}={shapes[names.index(inp)][dim]}")
    return "kilnc keeps asking for --shape", pins
