"""Kiln against ONNX Runtime and PyTorch, side by side on this machine.

usage: bench/run.py [--kilnc build/bin/kilnc] [--work build/bench]
                    [--batches 1,16] [--threads 1,2] [--runs 50]
                    [--rounds 5] [--models NAME,...] [--no-torch]
                    [--doc docs/performance.md] [--chart docs/performance.png]

For every zoo model (re-exported at each batch size with
test/models/make_zoo.py) and ONNX's four light models (batch 1), and for
each thread count, the engines run in rounds, interleaved so that drift
hits them alike: each round times runs/rounds runs of Kiln's executables
(--bench) for --backend=dnnl (the default), --backend=llvm, and both
with --no-fuse, of ONNX Runtime (PyPI's onnxruntime,
bench/ort_bench.py) and of PyTorch eager (bench/torch_bench.py), each
after its own warm-up run. A figure is the median of all its timed runs;
ratios are computed within this one run. Also measured: compile time, peak
resident memory of a process running the model once, and the GFLOP/s each
backend reaches on convolution and matmul layers (from --profile of
--no-fuse builds, so that a layer's time is its own) against the core's
peak (bench/peak.c), and from the same profiles the ceiling on what fusion
can gain (all ops' time over those layers' time). Writes the tables to --doc and a bar chart to
--chart.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
from kilntest import kilnc as kt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LIGHT = ["bvlc_alexnet", "squeezenet", "resnet50", "vgg19"]

# Kiln's timed builds: name -> (backend, extra kilnc flags).
VARIANTS = {"dnnl": ("dnnl", []), "llvm": ("llvm", []),
            "nofuse": ("dnnl", ["--no-fuse"]),
            "llvm-nofuse": ("llvm", ["--no-fuse"])}


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}...: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_kib(cmd, env=None):
    """Runs cmd once under /usr/bin/time; its peak resident set size in KiB
    (measured after exec, unlike wait4 on a child forked from Python)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, env=env)
    if out.returncode != 0:
        return None
    return int(out.stderr.strip().splitlines()[-1])


def export_zoo(batch, work):
    out = os.path.join(work, f"zoo-b{batch}")
    stamp = os.path.join(out, ".done")
    if not os.path.exists(stamp):
        os.makedirs(out, exist_ok=True)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "test", "models",
                                                         "make_zoo.py"),
                        "--batch", str(batch), "--out", out], check=True,
                       capture_output=True)
        open(stamp, "w").close()
    return out


def light_inputs(kilnc, name, light_dir, work):
    """Writes ONNX's light-model inputs, shaped as a probe compilation's
    signature says (see run_light.py); returns their paths."""
    exe = os.path.join(work, f"light_{name}_probe")
    error = kt.build(kilnc, os.path.join(light_dir, f"light_{name}.onnx"),
                              "dnnl", exe)
    if error:
        raise RuntimeError(error)
    paths = []
    for index, (_, _, dims) in enumerate(kt.signature(exe)["inputs"]):
        path = os.path.join(work, f"light_{name}_input_{index}.npy")
        np.save(path, kt.light_input(dims))
        paths.append(path)
    return paths


def layer_flops(model_path):
    """{node name: FLOPs} for Conv, ConvTranspose, Gemm and MatMul nodes."""
    import onnx
    from onnx import shape_inference
    model = shape_inference.infer_shapes(onnx.load(model_path))
    shapes = {}
    for value in list(model.graph.value_info) + list(model.graph.input) + \
            list(model.graph.output):
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        shapes[value.name] = dims
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    flops = {}
    for node in model.graph.node:
        out = shapes.get(node.output[0])
        if not out or 0 in out:
            continue
        if node.op_type == "Conv":
            w = shapes.get(node.input[1])
            flops[node.name] = 2 * int(np.prod(out)) * int(np.prod(w[1:]))
        elif node.op_type == "ConvTranspose":
            x, w = shapes.get(node.input[0]), shapes.get(node.input[1])
            flops[node.name] = 2 * int(np.prod(x)) * int(np.prod(w[1:]))
        elif node.op_type in ("Gemm", "MatMul"):
            a = shapes.get(node.input[0])
            trans_a = any(at.name == "transA" and at.i for at in node.attribute)
            k = a[-2] if trans_a else a[-1]
            flops[node.name] = 2 * int(np.prod(out)) * k
    return flops


def has_convolutions(model_path):
    """Whether the model has Conv or ConvTranspose nodes (the models the
    fusion ceiling is given for: elsewhere, recurrent or attention ops the
    layer count leaves out make it meaningless)."""
    import onnx
    return any(node.op_type in ("Conv", "ConvTranspose")
               for node in onnx.load(model_path).graph.node)


def profile_layers(exe, inputs, flops, runs):
    """From the executable's --profile on one thread: the GFLOP/s over the
    layers in `flops`, and the time of all ops over the time of those
    layers (the no-fuse / fused ratio fusion would reach if it removed
    every other op and left those layers as they are)."""
    text = subprocess.run([exe, *inputs, "-o", os.path.dirname(exe), "--profile",
                           "--bench", str(runs), "--threads", "1"],
                          capture_output=True,
                          text=True, check=True).stdout
    total_us, total_flops, ops_us = 0.0, 0, None
    for line in text.splitlines():
        if line.startswith("profile:") and " us in ops" in line:
            ops_us = float(line.split(",")[-1].split()[0])
        parts = line.split(None, 3)
        if len(parts) < 4 or not parts[0].replace(".", "").isdigit():
            continue
        node = parts[3].rsplit(" (", 1)[0]
        if node in flops:
            total_us += float(parts[0])
            total_flops += flops[node]
    if not total_us:
        return None, None
    return total_flops / total_us / 1e3, (ops_us / total_us if ops_us else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--light", default=os.path.join(ROOT, "..", "shared",
                                                        "onnx-tests", "light"))
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "performance.md"))
    parser.add_argument("--chart", default=os.path.join(ROOT, "docs", "performance.png"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    batches = [int(b) for b in args.batches.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    wanted = set(filter(None, args.models.split(",")))
    per_round = max(1, args.runs // args.rounds)
    ort_python = os.environ.get("KILN_BENCH_PYTHON", sys.executable)

    peak_exe = os.path.join(args.work, "peak")
    subprocess.run(["gcc", "-O2", "-march=native", os.path.join(HERE, "peak.c"),
                    "-o", peak_exe], check=True)
    peak = run_json([peak_exe])["gflops"]
    print(f"peak: {peak} GFLOP/s per core", flush=True)

    # (label, batch, model path, inputs, zoo dir or None)
    cases = []
    for batch in batches:
        zoo = export_zoo(batch, args.work)
        for name in sorted(os.listdir(zoo)):
            folder = os.path.join(zoo, name)
            if not os.path.isdir(folder) or (wanted and name not in wanted):
                continue
            inputs = sorted(f for f in os.listdir(folder) if f.startswith("input_"))
            cases.append((name, batch, os.path.join(folder, "model.onnx"),
                          [os.path.join(folder, f) for f in inputs], zoo))
    if os.path.isdir(args.light) and 1 in batches:
        for name in LIGHT:
            if wanted and name not in wanted:
                continue
            cases.append((f"light_{name}", 1,
                          os.path.join(args.light, f"light_{name}.onnx"),
                          light_inputs(args.kilnc, name, args.light, args.work),
                          None))

    results = []
    for name, batch, model, inputs, zoo in cases:
        exes, row, failed = {}, {"model": name, "batch": batch}, False
        for variant, (backend, extra) in VARIANTS.items():
            exes[variant] = os.path.join(args.work, f"{name}-b{batch}-{variant}")
            start = time.perf_counter()
            error = kt.build(args.kilnc, model, backend,
                                      exes[variant], extra)
            row[f"compile_s_{variant}"] = time.perf_counter() - start
            if error:
                print(f"{name} b{batch} {variant}: kilnc failed: {error}",
                      flush=True)
                failed = True
            else:
                row[f"rss_kib_{variant}"] = peak_rss_kib(
                    [exes[variant], *inputs, "-o", args.work])
        if failed:
            continue
        row["ort_rss_kib"] = peak_rss_kib(
            [ort_python, os.path.join(HERE, "ort_bench.py"), model, "1", "1",
             *inputs])
        flops = layer_flops(model)
        row["convolutions"] = has_convolutions(model)
        for backend in ("dnnl", "llvm"):
            probe = os.path.join(args.work, f"{name}-b{batch}-{backend}-layers")
            if flops and not kt.build(args.kilnc, model, backend, probe,
                                               ["--no-fuse"]):
                row[f"gflops_{backend}"], row[f"ceiling_{backend}"] = \
                    profile_layers(probe, inputs, flops, 20)
        for threads in thread_counts:
            samples = {k: [] for k in [*VARIANTS, "ort", "torch"]}
            for _ in range(args.rounds):
                for variant, exe in exes.items():
                    samples[variant] += run_json(
                        [exe, *inputs, "-o", args.work, "--bench",
                         str(per_round), "--threads", str(threads)])["samples_us"]
                samples["ort"] += run_json(
                    [ort_python, os.path.join(HERE, "ort_bench.py"), model,
                     str(threads), str(per_round), *inputs])["samples_us"]
                if zoo and not args.no_torch:
                    samples["torch"] += run_json(
                        ["/usr/bin/python3", os.path.join(HERE, "torch_bench.py"),
                         zoo, name, str(batch), str(threads), str(per_round)])[
                        "samples_us"]
            medians = {k: float(np.median(v)) for k, v in samples.items() if v}
            row[f"t{threads}"] = medians
            line = ", ".join(f"{k} {v:.1f} us" for k, v in medians.items())
            print(f"{name} b{batch} t{threads}: {line}; ORT/dnnl "
                  f"{medians['ort'] / medians['dnnl']:.2f}", flush=True)
        results.append(row)

    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"peak_gflops": peak, "results": results}, f, indent=1)
    write_doc(args, results, peak, thread_counts)
    write_chart(args, results, thread_counts)
    return 0


def cpu_name():
    """The CPU's model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f
                        if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def write_doc(args, results, peak, thread_counts):
    cpu = cpu_name()
    lines = [
        "# Performance",
        "",
        "Regenerated by `./bench/run.sh` (see `bench/run.py`); every figure "
        "comes from one run on one machine:",
        f"{cpu}, {os.cpu_count()} cores, {platform.machine()}. "
        f"Each time is the median of {args.runs} timed runs per engine after "
        "a warm-up, the engines interleaved in "
        f"{args.rounds} rounds. Kiln runs as four builds of each model: "
        "`--backend=dnnl` (the default, oneDNN primitives plus generated "
        "code, fused), `--backend=llvm` (all generated code, fused), and "
        "each of them with `--no-fuse`. ONNX Runtime is PyPI's `onnxruntime` "
        "CPU build (bench/requirements.txt) with all graph optimizations, "
        "sequential execution and `intra_op_num_threads` set to the thread "
        "count; PyTorch "
        "is Debian's python3-torch in eager mode with `torch.set_num_threads`. "
        "Every ratio is a time divided by Kiln's default build's time, so "
        "above 1 means the default build is faster, except \"llvm: no-fuse "
        "/ fused\", the llvm build without fusion against the llvm build.",
        "",
        "Attention at long sequences (128 to 1,024 tokens), fused against "
        "`--no-fuse`, is measured apart: "
        "[performance-attention.md](performance-attention.md) "
        "(`./bench/attention.sh`).",
        "",
    ]
    for t in thread_counts:
        lines += [f"## {t} thread{'s' if t > 1 else ''}", "",
                  "| model | batch | Kiln dnnl (us) | ORT (us) | ORT / dnnl | "
                  "llvm / dnnl | no-fuse / fused | llvm: no-fuse / fused | "
                  "PyTorch / dnnl |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in results:
            m = row.get(f"t{t}", {})
            dnnl = m["dnnl"]
            ratio = lambda k: f"{m[k] / dnnl:.2f}" if m.get(k) else "-"
            llvm_fusion = (f"{m['llvm-nofuse'] / m['llvm']:.2f}"
                           if m.get("llvm-nofuse") and m.get("llvm") else "-")
            lines.append(
                f"| {row['model']} | {row['batch']} | {dnnl:.1f} | "
                f"{m['ort']:.1f} | {ratio('ort')} | {ratio('llvm')} | "
                f"{ratio('nofuse')} | {llvm_fusion} | {ratio('torch')} |")
        lines.append("")
    lines += ["## Compile time, memory and arithmetic throughput", "",
              f"Peak of one core, measured by `bench/peak.c` (FMA chains): "
              f"{peak:.1f} GFLOP/s.", "",
              "Peak RSS is that of a process running the model once (Kiln's "
              "executable; ONNX Runtime's Node.js script). GFLOP/s counts "
              "the convolution, transposed-convolution, gemm and matmul "
              "layers' multiply-adds over their time in Kiln's `--profile` "
              "on one thread, from `--no-fuse` builds; llvm / dnnl compares "
              "the two backends on those layers. Fusion ceiling: the "
              "`--no-fuse` build's time in all ops over its time in those "
              "layers, on one thread (dnnl / llvm): the no-fuse / fused "
              "ratio fusion would reach if it removed every other op "
              "outright and left those layers as fast as they were; given "
              "for the models with convolutions.", "",
              "| model | batch | compile dnnl (s) | compile llvm (s) | "
              "RSS dnnl (MiB) | RSS no-fuse (MiB) | RSS llvm (MiB) | "
              "RSS llvm no-fuse (MiB) | RSS ORT (MiB) | dnnl GFLOP/s | "
              "llvm GFLOP/s | layer time llvm / dnnl | fusion ceiling "
              "(dnnl / llvm) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    mib = lambda kib: f"{kib / 1024:.1f}" if kib else "-"
    for row in results:
        gd, gl = row.get("gflops_dnnl"), row.get("gflops_llvm")
        lines.append(
            f"| {row['model']} | {row['batch']} | "
            f"{row['compile_s_dnnl']:.2f} | {row['compile_s_llvm']:.2f} | "
            f"{mib(row.get('rss_kib_dnnl'))} | "
            f"{mib(row.get('rss_kib_nofuse'))} | "
            f"{mib(row.get('rss_kib_llvm'))} | "
            f"{mib(row.get('rss_kib_llvm-nofuse'))} | "
            f"{mib(row.get('ort_rss_kib'))} | "
            + (f"{gd:.1f} ({100 * gd / peak:.0f}%) | " if gd else "- | ")
            + (f"{gl:.1f} ({100 * gl / peak:.0f}%) | " if gl else "- | ")
            + (f"{gd / gl:.2f} | " if gd and gl else "- | ")
            + (" / ".join(f"{row[k]:.2f}" if row.get(k) else "-"
                          for k in ("ceiling_dnnl", "ceiling_llvm"))
               if row.get("convolutions") else "-") + " |")
    lines += ["", "ORT's resident memory includes the Node.js runtime "
              "(about 40 MiB on its own).", "",
              "![Speedup of Kiln over ONNX Runtime](performance.png)", ""]
    with open(args.doc, "w") as f:
        f.write("\n".join(lines))


def write_chart(args, results, thread_counts):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['model']} b{r['batch']}" for r in results]
    fig, ax = plt.subplots(figsize=(max(8, len(labels) * 0.6), 5))
    width = 0.8 / len(thread_counts)
    for i, t in enumerate(thread_counts):
        ratios = [r[f"t{t}"]["ort"] / r[f"t{t}"]["dnnl"] for r in results]
        ax.bar([x + i * width for x in range(len(labels))], ratios, width,
               label=f"{t} thread{'s' if t > 1 else ''}")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([x + width * (len(thread_counts) - 1) / 2 for x in range(len(labels))])
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("ONNX Runtime time / Kiln time")
    ax.set_yscale("log")
    ax.set_title("Kiln (--backend=dnnl) speedup over ONNX Runtime")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.chart, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
