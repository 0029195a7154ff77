"""Attention fusion at long sequences: fused against --no-fuse, side by side.

usage: bench/attention.py [--kilnc build/bin/kilnc] [--work build/bench]
                          [--seqs 128,256,512,1024] [--threads 1,2]
                          [--runs 50] [--rounds 5] [--no-ort]
                          [--doc docs/performance-attention.md]

The zoo's two transformer encoder blocks (test/models/make_zoo.py: the
hand-written one with masked_fill, and nn.MultiheadAttention's export;
d_model 64, 4 heads, head size 16, batch 1) are exported at each sequence
length and compiled four ways: --backend=dnnl (the default) and
--backend=llvm, each fused and with --no-fuse. The builds, and ONNX
Runtime for reference, run interleaved in rounds; a figure is the median
of all timed runs of one build. Also recorded: the workspace each build
plans for its intermediate tensors (kiln.workspace_bytes) and the peak
resident memory of a process running the model once. Writes the tables
to --doc.
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
import run

MODELS = ["attention_encoder", "mha_encoder"]
BUILDS = {"dnnl": ("dnnl", []), "dnnl_nofuse": ("dnnl", ["--no-fuse"]),
          "llvm": ("llvm", []), "llvm_nofuse": ("llvm", ["--no-fuse"])}


def export(seq, work):
    out = os.path.join(work, f"attention-s{seq}")
    stamp = os.path.join(out, ".done")
    if not os.path.exists(stamp):
        os.makedirs(out, exist_ok=True)
        subprocess.run(["/usr/bin/python3",
                        os.path.join(ROOT, "test", "models", "make_zoo.py"),
                        "--batch", "1", "--seq", str(seq), "--only",
                        ",".join(MODELS), "--out", out],
                       check=True, capture_output=True)
        open(stamp, "w").close()
    return out


def workspace_bytes(kilnc, model, backend, extra):
    out = subprocess.run([kilnc, model, f"--backend={backend}", *extra,
                          "--emit=llvm-mlir", "-o", "-"],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"kiln\.workspace_bytes = (\d+)", out)
    return int(found.group(1)) if found else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--seqs", default="128,256,512,1024")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-ort", action="store_true")
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs",
                                                      "performance-attention.md"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    seqs = [int(s) for s in args.seqs.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    per_round = max(1, args.runs // args.rounds)
    ort_python = os.environ.get("KILN_BENCH_PYTHON", sys.executable)

    rows = []
    for seq in seqs:
        folder = export(seq, args.work)
        for name in MODELS:
            model = os.path.join(folder, name, "model.onnx")
            inputs = [os.path.join(folder, name, f"input_{k}.npy")
                      for k in range(2)]
            row = {"model": name, "seq": seq}
            exes = {}
            for build, (backend, extra) in BUILDS.items():
                exe = os.path.join(args.work, f"attention-{name}-s{seq}-{build}")
                subprocess.run([args.kilnc, model, f"--backend={backend}",
                                *extra, "-o", exe], check=True)
                exes[build] = exe
                row[f"ws_{build}"] = workspace_bytes(args.kilnc, model,
                                                     backend, extra)
                row[f"rss_{build}"] = run.peak_rss_kib(
                    [exe, *inputs, "-o", args.work])
            # The four builds agree with PyTorch's output.
            expected = np.load(os.path.join(folder, name, "output_0.npy"))
            for build, exe in exes.items():
                subprocess.run([exe, *inputs, "-o", args.work], check=True,
                               capture_output=True)
                got = np.load(os.path.join(args.work, "y.npy"))
                row[f"err_{build}"] = float(np.abs(got - expected).max())
            for threads in thread_counts:
                samples = {k: [] for k in [*BUILDS, "ort"]}
                for _ in range(args.rounds):
                    for build, exe in exes.items():
                        samples[build] += run.run_json(
                            [exe, *inputs, "-o", args.work, "--bench",
                             str(per_round), "--threads", str(threads)])[
                            "samples_us"]
                    if not args.no_ort:
                        samples["ort"] += run.run_json(
                            [ort_python, os.path.join(HERE, "ort_bench.py"), model,
                             str(threads), str(per_round), *inputs])["samples_us"]
                medians = {k: float(np.median(v)) for k, v in samples.items() if v}
                row[f"t{threads}"] = medians
                print(f"{name} seq {seq} t{threads}: " + ", ".join(
                    f"{k} {v:.1f} us" for k, v in medians.items()), flush=True)
            rows.append(row)
    write_doc(args, rows, thread_counts)
    return 0


def write_doc(args, rows, thread_counts):
    lines = [
        "# Attention fusion at long sequences",
        "",
        "Regenerated by `./bench/attention.sh` (see `bench/attention.py`); "
        "every figure comes from one run on one machine: "
        f"{run.cpu_name()}, {os.cpu_count()} cores. The zoo's two transformer "
        "encoder blocks (d_model 64, 4 heads of size 16, a GELU feed-forward "
        "of 128, batch 1) at each sequence length, compiled with the default "
        "`--backend=dnnl` and with `--backend=llvm`, each fused (attention as "
        "the tiled online-softmax kernel) and with `--no-fuse` (the scores "
        "stored whole, softmax apart). A time is the median of "
        f"{args.runs} timed runs, the builds interleaved in {args.rounds} "
        "rounds; ratios are the no-fuse time over the fused time of the "
        "same backend (above 1: fusion is faster).",
        "",
    ]
    for threads in thread_counts:
        lines += [f"## {threads} thread{'s' if threads > 1 else ''}", "",
                  "| model | seq | dnnl fused (us) | dnnl no-fuse (us) | "
                  "no-fuse / fused (dnnl) | llvm fused (us) | llvm no-fuse (us) "
                  "| no-fuse / fused (llvm) | ORT / dnnl fused |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            m = r[f"t{threads}"]
            ort = f"{m['ort'] / m['dnnl']:.2f}" if "ort" in m else "-"
            lines.append(
                f"| {r['model']} | {r['seq']} | {m['dnnl']:.1f} | "
                f"{m['dnnl_nofuse']:.1f} | {m['dnnl_nofuse'] / m['dnnl']:.2f} | "
                f"{m['llvm']:.1f} | {m['llvm_nofuse']:.1f} | "
                f"{m['llvm_nofuse'] / m['llvm']:.2f} | {ort} |")
        lines.append("")
    lines += ["## Memory", "",
              "Workspace: the bytes planned for intermediate tensors "
              "(`kiln.workspace_bytes`); peak RSS: the resident set of a "
              "process that loads and runs the model once. Max error: "
              "largest absolute difference from PyTorch's output.", "",
              "| model | seq | workspace dnnl fused / no-fuse (KiB) | "
              "workspace llvm fused / no-fuse (KiB) | peak RSS dnnl fused / "
              "no-fuse (MiB) | max error (4 builds) |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        rss = [r[f"rss_{b}"] for b in ("dnnl", "dnnl_nofuse")]
        rss_text = " / ".join(f"{x / 1024:.1f}" if x else "-" for x in rss)
        err = max(r[f"err_{b}"] for b in BUILDS)
        lines.append(
            f"| {r['model']} | {r['seq']} | {r['ws_dnnl'] / 1024:.0f} / "
            f"{r['ws_dnnl_nofuse'] / 1024:.0f} | {r['ws_llvm'] / 1024:.0f} / "
            f"{r['ws_llvm_nofuse'] / 1024:.0f} | {rss_text} | {err:.1e} |")
    lines.append("")
    with open(args.doc, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    sys.exit(main())
