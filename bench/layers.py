"""Kiln's layers against OpenVINO's on one model: each layer's time from
Kiln's executable (`--profile`) and from OpenVINO's performance counters
(PERF_COUNT, with the bench's configuration), at one thread count, matched
by ONNX node name (a fused layer is named after one of its nodes in
either engine; layers that do not match are summed apart). Prints a
markdown table, the layers that differ most first.

Runs under bench/.venv's Python (OpenVINO comes from there); the inputs are
.npy files in graph-input order.

usage: layers.py --kilnc KILNC --model MODEL.onnx --input X.npy [...]
                 [--threads 1] [--runs 200] [--top 20] [--work DIR]
                 [--name NAME]
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import kiln_profile


def kiln_layers(args, work):
    """{node: (op kind, us per run)} and (us per run, us in ops) from the
    default build's profile."""
    exe = os.path.join(work, "model")
    subprocess.run([args.kilnc, args.model, "-o", exe], check=True)
    out = os.path.join(work, "out")
    os.makedirs(out, exist_ok=True)
    ops, per_run, in_ops = kiln_profile.profile(exe, args.input, args.runs,
                                                args.threads, out)
    layers = {}
    for kind, node, us in ops:
        layers[node] = (kind, layers.get(node, (kind, 0.0))[1] + us)
    total = (per_run, in_ops)
    return layers, total


def openvino_layers(args):
    """{node: (layer type, us per run)} from OpenVINO's counters, and its
    median time per run."""
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(args.model), "CPU", {
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": args.threads,
        "INFERENCE_PRECISION_HINT": "f32",
        "PERF_COUNT": True,
    })
    request = compiled.create_infer_request()
    inputs = [np.load(p) for p in args.input]
    for _ in range(10):
        request.infer(inputs)
    sums = collections.defaultdict(float)
    types = {}
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        request.infer(inputs)
        times.append((time.perf_counter() - start) * 1e6)
        for info in request.profiling_info:
            if info.status != info.Status.EXECUTED:
                continue
            # A convolution or product with its bias split off keeps the
            # ONNX node's name plus "/WithoutBiases".
            node = info.node_name.removesuffix("/WithoutBiases")
            sums[node] += info.real_time.total_seconds() * 1e6
            types[node] = f"{info.node_type}/{info.exec_type}"
    return ({n: (types[n], us / args.runs) for n, us in sums.items()},
            float(np.median(times)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kilnc", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", nargs="+", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--work")
    parser.add_argument("--name", help="the model's name in the title")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="kiln-layers-")
    os.makedirs(work, exist_ok=True)
    kiln, (kiln_run, kiln_ops) = kiln_layers(args, work)
    ov, ov_run = openvino_layers(args)
    matched = [n for n in kiln if n in ov]
    rows = sorted(matched, key=lambda n: kiln[n][1] - ov[n][1], reverse=True)
    name = args.name or os.path.basename(
        os.path.dirname(os.path.abspath(args.model)))
    print(f"## {name}, {args.threads} thread{'s' if args.threads > 1 else ''}"
          "\n")
    print(f"Per run: Kiln {kiln_run:.1f} us ({kiln_ops:.1f} in its ops, "
          f"profiled), OpenVINO {ov_run:.1f} us (median, counters on), "
          f"{sum(us for _, us in ov.values()):.1f} us in its layers. "
          f"{len(matched)} of Kiln's {len(kiln)} layers matched by name: "
          f"Kiln {sum(kiln[n][1] for n in matched):.1f} us, OpenVINO "
          f"{sum(ov[n][1] for n in matched):.1f} us; the rest Kiln "
          f"{sum(us for n, (_, us) in kiln.items() if n not in ov):.1f} us, "
          f"OpenVINO {sum(us for n, (_, us) in ov.items() if n not in kiln):.1f}"
          " us.\n")
    print("| layer | Kiln op | OpenVINO layer | Kiln (us) | OpenVINO (us) "
          "| Kiln - OpenVINO (us) |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for n in rows[:args.top]:
        print(f"| {n} | {kiln[n][0]} | {ov[n][0]} | {kiln[n][1]:.1f} | "
              f"{ov[n][1]:.1f} | {kiln[n][1] - ov[n][1]:+.1f} |")
    by_kind = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for n in matched:
        k = by_kind[kiln[n][0]]
        k[0] += kiln[n][1]
        k[1] += ov[n][1]
        k[2] += 1
    print("\n| Kiln op | layers | Kiln (us) | OpenVINO (us) |")
    print("| --- | ---: | ---: | ---: |")
    for kind, (k, o, count) in sorted(by_kind.items(),
                                      key=lambda kv: -kv[1][0]):
        print(f"| {kind} | {count} | {k:.1f} | {o:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
