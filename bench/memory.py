"""Peak resident memory of compiled models against their weights and
workspace, on both backends (dnnl also with direct convolutions only,
kilnc --dnnl-winograd=false), and docs/performance-memory.md.

For each model the bench exported (WORK/real/NAME-bB and WORK/zoo-bB/NAME,
from ./bench/run.sh): its weights (the bytes of the ONNX initializers),
its workspace (the arena of a run: the intermediate tensors its executable
declares, kiln_model_workspace_bytes read from the binary, and oneDNN's
scratchpads, which `--profile` reports), its inputs and outputs (the arrays
a run reads and writes), and the peak resident set of the executable run
until its choices are made (`--bench 1`: the warm-up's first runs time the
variants of its ops, then one more run; VmHWM, read by bench/rss_probe.c
when the process exits) less
the pages of libdnnl.so it made resident (library code, shared between
processes) and less the smallest such figure of all the models (the
process, the runtime and its libraries, which every model pays once).

usage: memory.py --kilnc KILNC --work WORK [--doc FILE] [--only NAME,...]
"""

import argparse
import glob
import os
import re
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


def probe_rss(probe, cmd, report):
    """(peak resident KiB, KiB of libdnnl.so's resident pages) of one run
    of `cmd`, from bench/rss_probe.c preloaded into it."""
    if os.path.exists(report):
        os.remove(report)
    env = dict(os.environ, LD_PRELOAD=probe, RSS_PROBE_OUT=report,
               RSS_PROBE_LIBS="libdnnl.so")
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: {out.stderr.strip()}")
    with open(report) as f:
        values = dict(line.split() for line in f if line.strip())
    peak, libraries = int(values["peak"]), int(values["libraries"])
    if peak <= 0 or libraries < 0:
        raise RuntimeError(f"{cmd[0]}: no figures from the probe: {values}")
    return peak, libraries


MEMORY_LINE = re.compile(
    r"^memory: ([0-9.]+) (KiB|MiB) for each run's intermediate tensors"
    r"(?: and ([0-9.]+) (KiB|MiB) for oneDNN's scratchpads)?$", re.M)


def scratchpad_bytes(cmd):
    """The bytes of oneDNN's scratchpads in a run's arena, from the
    executable's --profile."""
    out = subprocess.run([*cmd, "--profile"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: {out.stderr.strip()}")
    match = MEMORY_LINE.search(out.stdout)
    if not match:
        raise RuntimeError(f"{cmd[0]} --profile printed no memory line")
    if not match.group(3):
        return 0
    unit = 1024 if match.group(4) == "KiB" else 1024 * 1024
    return int(float(match.group(3)) * unit)


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
    probe = os.path.join(out_dir, "rss_probe.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC",
                    os.path.join(HERE, "rss_probe.c"), "-o", probe],
                   check=True)
    report = os.path.join(out_dir, "rss_probe.txt")
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
            cmd = [exe, *inputs, "-o", result]
            peak, libraries = min(probe_rss(probe, [*cmd, "--bench", "1"],
                                            report)
                                  for _ in range(3))
            row[backend] = {
                "activations": symbol_u64(exe, "kiln_model_workspace_bytes"),
                "scratchpad": scratchpad_bytes(cmd),
                "rss": 1024 * peak, "libraries": 1024 * libraries,
            }
            row[backend]["workspace"] = (row[backend]["activations"]
                                         + row[backend]["scratchpad"])
        rows.append(row)
        print(label, {b: row[b] for b in BACKENDS}, "weights", row["weights"],
              flush=True)
    if not rows:
        raise SystemExit("no exported models: run ./bench/run.sh first")
    # The process and runtime every model pays: the smallest model's run,
    # library code apart.
    def own(r, b):
        return r[b]["rss"] - r[b]["libraries"]

    base = {b: min(own(r, b) for r in rows) for b in BACKENDS}
    # The builds whose runs made library pages resident get a column.
    with_libraries = [b for b in BACKENDS
                      if any(r[b]["libraries"] for r in rows)]
    mib = 1024 * 1024
    lines = [
        "# Peak memory",
        "",
        "Each model the bench exports, compiled with each backend and run",
        "on its inputs until its choices are made (`--bench 1`: the first",
        "runs of the warm-up time the variants of its ops, then one more",
        "run; `./bench/memory.sh`, after `./bench/run.sh`):",
        "its weights (the ONNX initializers); its workspace, the arena each",
        "run holds: the intermediate tensors the executable declares",
        "(`kiln_model_workspace_bytes`) and, on the dnnl backend, oneDNN's",
        "scratchpads (`--profile`'s `memory:` line); its inputs and outputs",
        "(the arrays the run reads and writes); and the peak resident set",
        "of the run (VmHWM, the smallest of 3), of which the pages of",
        "libdnnl.so that the run made resident (its code and read-only",
        "data, file-backed and shared by every process that maps the",
        "library, read from /proc/self/smaps at exit by",
        "`bench/rss_probe.c`) are set apart. Net peak: the peak less those",
        "pages and less the smallest such figure of all the models "
        f"({base['dnnl'] / mib:.1f} MiB with dnnl, "
        f"{base['llvm'] / mib:.1f} MiB with llvm: the process, the runtime",
        "and its libraries). Ratio: the net peak over weights + workspace +",
        "inputs and outputs; the goal is at most 1.10.",
        "",
        "On the dnnl backend oneDNN's reordered weights replace the",
        "originals, which are released. The default dnnl build has oneDNN",
        "compute 3x3 convolutions at unit stride by Winograd's minimal",
        "filtering, from weights transformed at load that take 16/9 or 4",
        "times the memory of the originals, and with a scratchpad of its",
        "own for the transformed tiles, except where its kernel would read",
        "them from memory for about every sample (outputs under 8x8 over",
        "fewer than 12 samples with transformed weights beyond a quarter of",
        "the L3 cache: ResNet-50's last stage at batch 8, whose 56 MiB more",
        "bought 2 ms of 244), and once what the transformed weights hold",
        "beyond the originals would pass a tenth of the model's constants",
        "or 8 MiB (in the program's order: ResNet-50 keeps 8 of 11 such",
        "layers at batch 1 and 6 of 13 at batch 8, whose 256-channel ones",
        "would take 7 MiB each for 3 ms of 244); dnnl-direct is the same",
        "model built",
        "with `--dnnl-winograd=false`, whose reordered weights take what",
        "the originals took. A run that makes the first choices also holds",
        "the weights of the channels-last variants of convolutions of 16",
        "input channels or more and output rows of 8 pixels or fewer (a",
        "twentieth of",
        "the model's constants at most, or 1 MiB) beside the others until",
        "they are chosen or released; the variants' own buffers are in the",
        "scratchpad (at most a tenth of the constants or 16 MiB beyond what",
        "the defaults need). The code oneDNN generates for its primitives",
        "(those of the variants too) is anonymous memory outside the",
        "workspace, which dominates the small models; oneDNN's JIT sgemm",
        "alone generates over 3 MiB of kernels (dcgan_generator b1's net",
        "peak was 5.4 MiB while its last transposed convolution, of 3",
        "output channels, ran on it; such layers are generated code now,",
        "`--dnnl-deconv-min-channels`). Convolutions on Kiln's packed",
        "kernel (ResNet-50's last stage and MobileNet-V2's last 1x1",
        "convolutions at batch 1) hold their weights packed instead of",
        "reordered or transformed.",
        "",
    ]
    header = ["model", "weights (MiB)", "inputs, outputs (MiB)"]
    for b in BACKENDS:
        header.append(f"{b} workspace (MiB)")
        if b in with_libraries:
            header.append(f"{b} libdnnl.so pages (MiB)")
        header += [f"{b} net peak (MiB)", "ratio"]
    lines += ["| " + " | ".join(header) + " |",
              "| " + " | ".join("---" for _ in header) + " |"]
    over = []
    for r in rows:
        cells = [r["model"], f"{r['weights'] / mib:.1f}",
                 f"{r['io'] / mib:.1f}"]
        for b in BACKENDS:
            net = own(r, b) - base[b]
            need = r["weights"] + r["io"] + r[b]["workspace"]
            ratio = net / need if need else float("nan")
            cells.append(f"{r[b]['workspace'] / mib:.1f}")
            if b in with_libraries:
                cells.append(f"{r[b]['libraries'] / mib:.1f}")
            cells += [f"{net / mib:.1f}", f"{ratio:.2f}"]
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
