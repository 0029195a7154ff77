"""Kiln against TensorFlow on Keras models, side by side on this machine.

usage: bench/keras_bench.py --python VENV_PYTHON [--kilnc build/bin/kilnc]
                      [--work build/bench-keras] [--batches 1,16]
                      [--threads 1,2] [--runs 200] [--rounds 10]
                      [--doc docs/performance-keras.md]

The models (bench/keras_models.py: the Keras CNN, GRU, VAE and GAN at full
size) are saved as .keras files by the pinned Keras; Kiln compiles those
files, and TensorFlow loads the same files (bench/tf_bench.py): eager calls
and XLA (`tf.function(jit_compile=True)`). The CNN is also written NCHW in
PyTorch with the Keras weights copied in, exported to ONNX and compiled by
Kiln (bench/keras_nchw.py), to compare the channels-last import with the
channels-first one. For each thread count, the engines run in rounds,
interleaved so that drift hits them alike; a figure is the median of all
its timed runs, and ratios are computed within this one run. Before
timing, each Kiln executable's output is compared with TensorFlow's.
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
MODELS = ["cnn", "gru", "vae", "gan_generator", "gan_discriminator"]
BACKENDS = ["dnnl", "llvm"]


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class TFServer:
    def __init__(self, python, threads):
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "tf_bench.py"), str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("tf_bench.py stopped")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", required=True)
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench-keras"))
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--twin-runs", type=int, default=2000,
                        help="runs of each build in the CNN's .keras/ONNX "
                             "comparison (in 40 interleaved rounds)")
    parser.add_argument("--doc", default=os.path.join(ROOT, "docs", "performance-keras.md"))
    args = parser.parse_args()
    w = args.work
    batches = [int(b) for b in args.batches.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    per_round = max(1, args.runs // args.rounds)
    models = args.models.split(",")

    cases = []  # (model, batch, {variant: exe}, inputs)
    for name in models:
        with open(os.path.join(w, f"{name}.json")) as f:
            names = json.load(f)["inputs"]
        for batch in batches:
            inputs = [os.path.join(w, f"{name}-b{batch}-input_{k}.npy")
                      for k in range(len(names))]
            shapes = [f"--shape={n}=" + "x".join(map(str, np.load(p).shape))
                      for n, p in zip(names, inputs)]
            exes = {}
            for backend in BACKENDS:
                exe = os.path.join(w, f"{name}-b{batch}-{backend}")
                error = kt.build(args.kilnc, os.path.join(w, f"{name}.keras"),
                                 backend, exe, shapes)
                if error:
                    sys.exit(f"{name} b{batch} {backend}: {error}")
                exes[backend] = exe
            nchw = {}
            if name == "cnn":
                for backend in BACKENDS:
                    exe = os.path.join(w, f"cnn_nchw-b{batch}-{backend}")
                    error = kt.build(args.kilnc,
                                     os.path.join(w, f"cnn_nchw-b{batch}.onnx"),
                                     backend, exe)
                    if error:
                        sys.exit(f"cnn_nchw b{batch} {backend}: {error}")
                    nchw[backend] = exe
            cases.append((name, batch, exes, inputs, nchw))

    rows = []
    for threads in thread_counts:
        tf = TFServer(args.python, threads)
        for name, batch, exes, inputs, nchw in cases:
            model = os.path.join(w, f"{name}.keras")
            reference = os.path.join(w, f"{name}-b{batch}-tf.npy")
            tf.ask(model=model, inputs=inputs, mode="eager", runs=1,
                   save=reference)
            expected = np.load(reference)
            errors = {}
            for variant, exe in exes.items():
                out = os.path.join(w, f"out-{name}-{variant}")
                os.makedirs(out, exist_ok=True)
                subprocess.run([exe, *inputs, "-o", out], check=True,
                               capture_output=True)
                sig = kt.signature(exe)
                got = np.load(os.path.join(out, kt.output_file(sig["outputs"][0][0])))
                errors[variant] = float(np.max(np.abs(got - expected)))
            samples = {k: [] for k in [*exes, *(f"nchw-{b}" for b in nchw),
                                       "tf", "xla"]}
            nchw_inputs = [os.path.join(w, f"cnn_nchw-b{batch}-input_0.npy")]
            for _ in range(args.rounds):
                for variant, exe in exes.items():
                    samples[variant] += run_json(
                        [exe, *inputs, "-o", w, "--bench", str(per_round),
                         "--threads", str(threads)])["samples_us"]
                for backend, exe in nchw.items():
                    samples[f"nchw-{backend}"] += run_json(
                        [exe, *nchw_inputs, "-o", w, "--bench", str(per_round),
                         "--threads", str(threads)])["samples_us"]
                samples["tf"] += tf.ask(model=model, inputs=inputs,
                                        mode="eager", runs=per_round)["samples_us"]
                samples["xla"] += tf.ask(model=model, inputs=inputs,
                                         mode="xla", runs=per_round)["samples_us"]
            medians = {k: float(np.median(v)) for k, v in samples.items() if v}
            row = {"model": name, "batch": batch, "threads": threads,
                   "medians_us": medians, "max_error": errors}
            if nchw:
                # The .keras and ONNX builds of the CNN are within a few
                # per cent of each other, less than this machine's drift
                # over a short run: many more, shorter rounds.
                twin = {k: [] for k in [*exes, *(f"nchw-{b}" for b in nchw)]}
                rounds, per = 40, max(1, args.twin_runs // 40)
                for _ in range(rounds):
                    for backend in BACKENDS:
                        twin[backend] += run_json(
                            [exes[backend], *inputs, "-o", w, "--bench",
                             str(per), "--threads", str(threads)])["samples_us"]
                        twin[f"nchw-{backend}"] += run_json(
                            [nchw[backend], *nchw_inputs, "-o", w, "--bench",
                             str(per), "--threads", str(threads)])["samples_us"]
                row["twin_us"] = {k: float(np.median(v)) for k, v in twin.items()}
            rows.append(row)
            if "twin_us" in row:
                t = row["twin_us"]
                print(f"{name} b{batch} t{threads} .keras/ONNX: " + ", ".join(
                    f"{b} {t[b] / t['nchw-' + b]:.3f}" for b in BACKENDS),
                    flush=True)
            print(f"{name} b{batch} t{threads}: " +
                  ", ".join(f"{k} {v:.1f} us" for k, v in medians.items()) +
                  f"; TF/Kiln {medians['tf'] / medians['dnnl']:.2f}, "
                  f"XLA/Kiln {medians['xla'] / medians['dnnl']:.2f}; "
                  f"max error vs TF {max(errors.values()):.2g}", flush=True)
        tf.close()

    with open(os.path.join(w, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    write_doc(args, rows)
    return 0


def write_doc(args, rows):
    lines = [
        "# Keras models: Kiln and TensorFlow",
        "",
        "Written by `bench/keras.sh` (bench/keras_bench.py); do not edit by hand.",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores. Each figure is the "
        f"median of {args.runs} timed runs in {args.rounds} interleaved "
        "rounds, all engines in this one run; ratios above 1 mean Kiln is "
        "faster. The models are bench/keras_models.py's, saved as `.keras` "
        "by Keras " + "3.15.1 (TensorFlow 2.21.0, pinned in "
        "test/models/keras/requirements.txt); Kiln compiles the files "
        "(`--backend=dnnl`, the default, and `--backend=llvm`), TensorFlow "
        "loads the same files and runs them eagerly (`model(x, "
        "training=False)`) and under XLA (`tf.function(jit_compile=True)`).",
        "",
        "| model | batch | threads | Kiln dnnl (us) | Kiln llvm (us) | TF eager (us) | TF XLA (us) | TF eager / Kiln | XLA / Kiln | max abs error vs TF |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        m = r["medians_us"]
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['threads']} | {m['dnnl']:.1f} | "
            f"{m['llvm']:.1f} | {m['tf']:.1f} | {m['xla']:.1f} | "
            f"{m['tf'] / m['dnnl']:.2f} | {m['xla'] / m['dnnl']:.2f} | "
            f"{max(r['max_error'].values()):.1e} |")
    lines += [
        "",
        "## The CNN from `.keras` (channels-last) and from ONNX (channels-first)",
        "",
        "The same network written NCHW in PyTorch with the Keras weights "
        "copied in, exported to ONNX and compiled by Kiln, against the "
        "`.keras` file compiled by Kiln (whose one-channel image enters the "
        "convolutions through a reshape). A ratio of 1.00 means the "
        "channels-last import costs nothing. The two builds alternate in 40 "
        f"rounds, {args.twin_runs} runs each, since their difference is "
        "smaller than this machine's drift over the short rounds above.",
        "",
        "| batch | threads | backend | from .keras (us) | from ONNX NCHW (us) | .keras / ONNX |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if r["model"] != "cnn":
            continue
        m = r["twin_us"]
        for backend in BACKENDS:
            lines.append(
                f"| {r['batch']} | {r['threads']} | {backend} | {m[backend]:.1f} | "
                f"{m['nchw-' + backend]:.1f} | "
                f"{m[backend] / m['nchw-' + backend]:.3f} |")
    with open(args.doc, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
