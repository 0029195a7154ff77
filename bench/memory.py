"""Peak resident memory of compiled models against their weights and
workspace, on both backends (dnnl also with direct convolutions only,
kilnc --dnnl-winograd=false), and docs/performance-memory.md.

For each model the bench exported (WORK/real/NAME-bB and WORK/zoo-bB/NAME,
from ./bench/run.sh): its weights (the bytes of the ONNX initializers),
the workspace its executable declares (kiln_model_workspace_bytes, read
from the binary), its inputs and outputs (the arrays a run reads and
writes), and the peak resident set of one run of the executable
(/usr/bin/time's %M), less that of the smallest model's run (the runtime,
its libraries and the process, which every model pays once).

usage: memory.py --kilnc KILNC --work WORK [--doc FILE] [--only NAME,...]
"""

import argparse
import glob
import os
import subprocess

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Each build: its label and kilnc's arguments.
BUILDS = {
    "dnnl": ["--backend=dnnl"],
    "dnnl-direct": ["--backend=dnnl", "--dnnl-winograd=false"],
    "llvm": ["--backend=llvm"],
}
BACKENDS = tuple(BUILDS)


def weight_bytes(path):
    model = onnx.load(path)
    total = sum(numpy_helper.to_array(t).nbytes
                for t in model.graph.initializer)
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    total += numpy_helper.to_array(a.t).nbytes
    return total


def symbol_u64(binary, name):
    """The value of the uint64 global `name` in the ELF file `binary`."""
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True,
                         text=True, check=True).stdout
    address = None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            address = int(parts[0], 16)
    if address is None:
        raise RuntimeError(f"{binary} has no {name}")
    sections = subprocess.run(["readelf", "-SW", binary], capture_output=True,
                              text=True, check=True).stdout
    for line in sections.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) < 6 or not fields[0].startswith("["):
            continue
        try:
            start, offset, size = (int(fields[3], 16), int(fields[4], 16),
                                   int(fields[5], 16))
        except ValueError:
            continue
        if start <= address < start + size and fields[2] != "NOBITS":
            with open(binary, "rb") as f:
                f.seek(offset + address - start)
                return int.from_bytes(f.read(8), "little")
    raise RuntimeError(f"{name} of {binary} is in no section with bytes")


def peak_rss_kib(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: {out.stderr.strip()}")
    return int(out.stderr.strip().splitlines()[-1])


def models(work):
    """(label, folder) of each exported model, real-size ones first."""
    found = [(os.path.basename(f), f)
             for f in sorted(glob.glob(os.path.join(work, "real", "*")))]
    for folder in sorted(glob.glob(os.path.join(work, "zoo-b*"))):
        batch = os.path.basename(folder)[len("zoo-"):]
        for model in sorted(glob.glob(os.path.join(folder, "*"))):
            if os.path.exists(os.path.join(model, "model.onnx")):
                found.append((f"{os.path.basename(model)}-{batch}", model))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kilnc", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--doc", default=os.path.join(
        ROOT, "docs", "performance-memory.md"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    out_dir = os.path.join(args.work, "memory")
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for label, folder in models(args.work):
        if only and label.rsplit("-", 1)[0] not in only:
            continue
        inputs = sorted(glob.glob(os.path.join(folder, "input_*.npy")))
        model = os.path.join(folder, "model.onnx")
        arrays = inputs + sorted(glob.glob(os.path.join(folder,
                                                        "output_*.npy")))
        row = {"model": label, "weights": weight_bytes(model),
               "io": sum(np.load(a, mmap_mode="r").nbytes for a in arrays)}
        for backend in BACKENDS:
            exe = os.path.join(out_dir, f"{label}-{backend}")
            subprocess.run([args.kilnc, model, *BUILDS[backend], "-o", exe],
                           check=True)
            result = os.path.join(out_dir, f"{label}-{backend}-out")
            os.makedirs(result, exist_ok=True)
            row[backend] = {
                "workspace": symbol_u64(exe, "kiln_model_workspace_bytes"),
                "rss": 1024 * min(peak_rss_kib([exe, *inputs, "-o", result])
                                  for _ in range(3)),
            }
        rows.append(row)
        print(label, {b: row[b] for b in BACKENDS}, "weights", row["weights"],
              flush=True)
    if not rows:
        raise SystemExit("no exported models: run ./bench/run.sh first")
    # The process and runtime every model pays: the smallest model's run.
    base = {b: min(r[b]["rss"] for r in rows) for b in BACKENDS}
    mib = 1024 * 1024
    lines = [
        "# Peak memory",
        "",
        "Each model the bench exports, compiled with each backend and run",
        "once on its inputs (`./bench/memory.sh`, after `./bench/run.sh`):",
        "its weights (the ONNX initializers), the workspace the executable",
        "declares (`kiln_model_workspace_bytes`: the generated code's",
        "activations), its inputs and outputs (the arrays the run reads and",
        "writes), and the peak resident set of the run (the smallest",
        "of 3, `/usr/bin/time`'s %M) less the smallest model's "
        f"({base['dnnl'] / mib:.1f} MiB with dnnl, "
        f"{base['llvm'] / mib:.1f} MiB with llvm:",
        "the process, the runtime and its libraries). Ratio: that net peak",
        "over weights + workspace + inputs and outputs; the goal is at most",
        "1.10. On the dnnl",
        "backend oneDNN's reordered weights and scratchpads are not in the",
        "workspace, and a model that creates oneDNN primitives makes",
        "libdnnl.so's own pages resident (file-backed and shared between",
        "processes: 5.7 MiB of the 6.7 MiB net of mnist_cnn b1, read from",
        "/proc/PID/smaps during a run), which dominates the small models.",
        "The default dnnl build has oneDNN compute 3x3 convolutions at unit",
        "stride by Winograd's minimal filtering, from weights transformed at",
        "load that take 16/9 or 4 times the memory of the originals (which",
        "are released); dnnl-direct is the same model built with",
        "`--dnnl-winograd=false`, whose reordered weights take what the",
        "originals took. A run that makes the first choices also holds the",
        "weights of the convolutions' channels-last variants (a tenth of the",
        "model's constants at most, or 1 MiB) beside the others until they",
        "are chosen or released.",
        "",
        "| model | weights (MiB) | inputs, outputs (MiB) | "
        + " | ".join(f"{b} workspace (MiB) | {b} net peak (MiB) | ratio"
                     for b in BACKENDS) + " |",
        "| --- | --- | --- |" + " --- | --- | --- |" * len(BACKENDS),
    ]
    over = []
    for r in rows:
        cells = [r["model"], f"{r['weights'] / mib:.1f}",
                 f"{r['io'] / mib:.1f}"]
        for b in BACKENDS:
            net = r[b]["rss"] - base[b]
            need = r["weights"] + r["io"] + r[b]["workspace"]
            ratio = net / need if need else float("nan")
            cells += [f"{r[b]['workspace'] / mib:.1f}", f"{net / mib:.1f}",
                      f"{ratio:.2f}"]
            if need >= mib and ratio > 1.10:
                over.append(f"{r['model']} {b} ({ratio:.2f})")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Above 1.10 (models of at least 1 MiB of weights, "
              "workspace, inputs and outputs): " + (", ".join(over) if over else "none") + "."]
    with open(args.doc, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", args.doc)


if __name__ == "__main__":
    main()
