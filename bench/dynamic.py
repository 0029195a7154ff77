"""Static against dynamic builds of the zoo: each model of
test/models/dynamic compiled once with its batch open, and twice with the
batch fixed (1 and 16), timed side by side at batch 1 and 16; and the cost
of the first run at a new batch size, through the C API. Writes
docs/performance-dynamic.md.

usage: dynamic.py --kilnc KILNC --work DIR [--backend dnnl] [--runs 50]
                  [--rounds 3] [--doc FILE] [--only NAME,...]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

import numpy as np

from kilntest import kilnc as kt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ZOO = os.path.join(ROOT, "test", "models", "dynamic")
BATCHES = (1, 16)


def bench(exe, inputs, runs):
    out = subprocess.run([exe, *inputs, "--bench", str(runs), "-o",
                          os.path.dirname(exe)], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["median_us"]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kilnc", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--backend", default="dnnl")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--doc", default=os.path.join(
        ROOT, "docs", "performance-dynamic.md"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    first_run = os.path.join(args.work, "first_run")
    subprocess.run(["gcc", "-O2", "-I", os.path.join(ROOT, "include"),
                    os.path.join(HERE, "first_run.c"), "-ldl", "-o",
                    first_run], check=True)
    only = set(filter(None, args.only.split(",")))
    rows = []
    for name in sorted(os.listdir(ZOO)):
        folder = os.path.join(ZOO, name)
        if not os.path.exists(os.path.join(folder, "model.onnx")) or \
                (only and name not in only):
            continue
        model = os.path.join(folder, "model.onnx")
        with open(os.path.join(folder, "inputs.json")) as f:
            names = json.load(f)["inputs"]
        inputs = {b: [os.path.join(folder, f"input_{k}_b{b}.npy")
                      for k in range(len(names))] for b in (1, 3, 16)}
        shapes = [np.load(p).shape for p in inputs[1]]
        work = os.path.join(args.work, name)
        os.makedirs(work, exist_ok=True)
        backend = [f"--backend={args.backend}"]
        dynamic = os.path.join(work, "dynamic")
        error, pins = kt.build_open(args.kilnc, model, dynamic, shapes, names,
                                    backend)
        if error:
            print(f"{name}: {error}", file=sys.stderr)
            return 1
        symbol = next(d for _, _, dims in kt.signature(dynamic)["inputs"]
                      for d in dims if isinstance(d, str))
        static = {}
        for b in BATCHES:
            static[b] = os.path.join(work, f"static{b}")
            subprocess.run([args.kilnc, model, "-o", static[b], *backend,
                            *pins, f"--shape={symbol}={b}"], check=True)
        lib = os.path.join(work, f"lib{name}.so")
        subprocess.run([args.kilnc, model, "--emit=lib", "-o", lib, *backend,
                        *pins], check=True)
        row = {"name": name, "symbol": symbol,
               "pins": " ".join(p.replace("--shape=", "") for p in pins)}
        for b in BATCHES:
            times = {"static": [], "dynamic": []}
            for _ in range(args.rounds):
                times["static"].append(bench(static[b], inputs[b], args.runs))
                times["dynamic"].append(bench(dynamic, inputs[b], args.runs))
            row[f"static{b}"] = statistics.median(times["static"])
            row[f"dynamic{b}"] = statistics.median(times["dynamic"])
        out = subprocess.run([first_run, lib, str(args.runs), "16", "1", "7",
                              "3", "40"], capture_output=True, text=True,
                             check=True).stdout
        firsts = [json.loads(line) for line in out.splitlines()]
        row["first"] = firsts
        rows.append(row)
        print(f"{name}: b1 {row['static1']:.0f} / {row['dynamic1']:.0f} us, "
              f"b16 {row['static16']:.0f} / {row['dynamic16']:.0f} us; first "
              "runs " + ", ".join(f"N={r['n']} +{r['first_us'] - r['median_us']:.0f} us"
                                  for r in firsts), flush=True)
    write_doc(args, rows)
    return 0


def write_doc(args, rows):
    lines = [
        "# Static and dynamic builds",
        "",
        "Each model of the dynamic zoo (`test/models/dynamic`, the eleven zoo",
        "models exported with open dims) compiled once with its batch open",
        "(`kilnc model.onnx`), and with the batch fixed at 1 and at 16",
        "(`--shape batch=1`, `--shape batch=16`), all with",
        f"`--backend={args.backend}`; the recurrent and attention models have",
        "their sequence length pinned in every build (one open dim varies at",
        "run time). Times are medians of",
        f"{args.rounds} rounds of `--bench {args.runs}` (each round's median),",
        "the static and dynamic executables alternating, on one machine:",
        f"{cpu_name()}, {os.cpu_count()} threads. Ratio: dynamic / static",
        "(below 1: the dynamic build is faster). Regenerate with",
        "`./bench/dynamic.sh`.",
        "",
        "| model | open dim | b1 static (us) | b1 dynamic (us) | ratio | "
        "b16 static (us) | b16 dynamic (us) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    worst = {}
    for r in rows:
        ratios = {b: r[f"dynamic{b}"] / r[f"static{b}"] for b in BATCHES}
        worst[r["name"]] = ratios
        lines.append(
            f"| {r['name']} | {r['symbol']}"
            + (f" ({r['pins']} pinned)" if r["pins"] else "")
            + f" | {r['static1']:.1f} | {r['dynamic1']:.1f} | {ratios[1]:.2f} "
            f"| {r['static16']:.1f} | {r['dynamic16']:.1f} | {ratios[16]:.2f} |")
    over = [f"{n} at batch {b} ({ratios[b]:.2f})" for n, ratios in worst.items()
            for b in BATCHES if ratios[b] > 1.10]
    lines += [
        "",
        "The goal is a ratio of at most 1.10 at both sizes: "
        + ("met by every model." if not over else
           "not met by " + ", ".join(over) + ". Timings on this machine "
           "vary by more than 10% from run to run for the same executable; "
           "a batch of 1 or 16 runs exactly the code of the static build "
           "(the one-sample graph, or the block of 16)."),
        "",
        "## The first run at a new size",
        "",
        "Through the C API (`bench/first_run.c`, the library of the dynamic",
        "build, zero inputs): the first run at each size, in the order",
        "given, against the median of the next runs at that size. Kiln does",
        "no work per size: oneDNN primitives and weight reorders are made",
        "when the model loads, for one sample and for the block; a new size",
        "costs at most the allocation of the workspaces it uses first.",
        "",
        "| model | " + " | ".join(f"N={r['n']}: first / median (us)"
                                  for r in rows[0]["first"]) + " |",
        "| --- | " + " | ".join("---" for _ in rows[0]["first"]) + " |",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | " + " | ".join(
            f"{f['first_us']:.0f} / {f['median_us']:.0f}" for f in r["first"])
            + " |")
    with open(args.doc, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    sys.exit(main())
