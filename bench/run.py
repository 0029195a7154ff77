"""Kiln against the strongest CPU engines, side by side on this machine.

usage: bench/run.py [--kilnc build/bin/kilnc] [--work build/bench]
                    [--threads 1,2] [--runs 50] [--rounds 5]
                    [--models NAME,...] [--peers ort,openvino,...] [--quick]
                    [--doc docs/performance.md] [--chart docs/performance.png]

Models: the zoo (test/models/make_zoo.py) at batch 1 and 16, and the
real-size models of bench/bench_models.py (ResNet-50, MobileNetV2, a
BERT-base-size encoder, a 2-layer LSTM language model, DCGAN at 64x64) at
batch 1 and 8, exported on demand into --work with random dense weights.
Engines: Kiln's default build (kilnc, --backend=dnnl) through its
executable's --bench, and the peers of bench/peers.py (ONNX Runtime,
OpenVINO, IREE, TVM, PyTorch eager and torch.compile on the models' own
modules), each a worker process that compiles the model once, as its users
do. For each model and thread count the engines run in --rounds rounds,
interleaved so that drift hits them alike; a figure is the median of all
its timed runs (--runs in all, after a warm-up run). At every thread count
after the first, Kiln also runs on the first count in the same rounds (the
two taking turns going first), so that its time on more threads is
compared with one taken beside it, overall and round by round. Every
engine's first outputs are checked against PyTorch's; a wrong answer is
flagged in its cell, and an engine that fails gets its error instead of a
time. Also
measured: each engine's time on a one-op model (its own cost per call),
compile time and peak resident memory per engine, and the GFLOP/s of
Kiln's convolution and matrix-product layers against one core's peak
(bench/peak.c), its small-channel and depthwise layers apart, in GB/s
against the bandwidth peak.c measures. --quick runs a subset; a subset (--quick or --models)
writes its table to WORK/performance-subset.md unless --doc names another.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import kiln_profile
import numpy as np
from kilntest import kilnc as kt
from peers import IN_PLACE

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

ZOO_BATCHES = (1, 16)
REAL_BATCHES = (1, 8)
REAL = ["resnet50", "mobilenet_v2", "bert", "lstm_lm", "dcgan"]
PEERS = ["ort", "openvino", "iree", "tvm", "torch", "torch-compile"]
PEER_NAMES = {"ort": "ONNX Runtime", "openvino": "OpenVINO", "iree": "IREE",
              "tvm": "TVM", "torch": "PyTorch", "torch-compile": "torch.compile"}
QUICK = {"zoo": ["mnist_cnn", "gru_classifier", "distmult"], "zoo_batches": (1,),
         "real": ["mobilenet_v2"], "real_batches": (1,)}
# An engine's outputs are right when max |a - e| <= TOLERANCE * max |e|:
# f32 engines reorder sums, and deep random networks amplify that.
TOLERANCE = 1e-3


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
    """The zoo at `batch`, with each module's weights for the PyTorch peers."""
    out = os.path.join(work, f"zoo-b{batch}")
    stamp = os.path.join(out, ".done-with-weights")
    if not os.path.exists(stamp):
        os.makedirs(out, exist_ok=True)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "test", "models",
                                                         "make_zoo.py"),
                        "--batch", str(batch), "--out", out, "--save-weights"],
                       check=True, capture_output=True)
        open(stamp, "w").close()
    return out


def export_real(name, batch, work):
    """A real-size model of bench_models.py, exported once into work."""
    out = os.path.join(work, "real")
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "bench_models.py"),
                    out, name, str(batch)], check=True)
    return os.path.join(out, f"{name}-b{batch}")


def one_op_model(work):
    """A model of one Add on two floats: what an engine costs per call."""
    import onnx
    from onnx import TensorProto, helper
    folder = os.path.join(work, "one_op")
    os.makedirs(folder, exist_ok=True)
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"], name="add")], "one_op",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1]) for n in "ab"],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for k, v in enumerate((1.5, 2.25)):
        np.save(os.path.join(folder, f"input_{k}.npy"), np.array([v], np.float32))
    np.save(os.path.join(folder, "output_0.npy"), np.array([3.75], np.float32))
    return folder


def folder_arrays(folder, prefix):
    paths = []
    while os.path.exists(os.path.join(folder, f"{prefix}_{len(paths)}.npy")):
        paths.append(os.path.join(folder, f"{prefix}_{len(paths)}.npy"))
    return paths


def check(outputs, references):
    """None when the outputs match the references, else what is wrong."""
    if len(outputs) != len(references):
        return f"{len(outputs)} outputs, expected {len(references)}"
    worst = 0.0
    for got, want in zip(outputs, references):
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape:
            if got.size != want.size:
                return f"shape {list(got.shape)}, expected {list(want.shape)}"
            got = got.reshape(want.shape)
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        with np.errstate(invalid="ignore"):
            error = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
        if not np.isfinite(error):
            return "non-finite outputs"
        worst = max(worst, error / scale if scale else error)
    return None if worst <= TOLERANCE else f"wrong (relative error {worst:.1e})"


class Worker:
    """A peer engine on one model: bench/peers.py in the peers' venv."""

    def __init__(self, python, engine, model, threads, work, inputs, torch_spec):
        cmd = [python, os.path.join(HERE, "peers.py"), engine, model, str(threads),
               work, *inputs]
        if engine.startswith("torch"):
            cmd += ["--torch", torch_spec]
        env = dict(os.environ, TVM_NUM_THREADS=str(threads))
        if engine not in IN_PLACE:
            env["OMP_NUM_THREADS"] = str(threads)
        self.engine = engine
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, env=env)
        self.error = None
        self._prepared(self._read())

    def _prepared(self, reply):
        """Takes the worker's reply to starting or to a new thread count."""
        self.compile_s = None
        self.first_run_us = None
        self.outputs = []
        if "error" in reply:
            self.error = reply["error"]
        else:
            self.compile_s = reply["compile_s"]
            self.first_run_us = reply["first_run_us"]
            self.outputs = [np.load(p) for p in reply["outputs"]]

    def set_threads(self, threads):
        """Prepares the model again at `threads` threads in the same process
        (engines in peers.IN_PLACE)."""
        try:
            self.process.stdin.write(f"threads {threads}\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            self._prepared({"error": "the worker ended"})
            return
        self._prepared(self._read())

    def _read(self, timeout=1800):
        import select
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.process.kill()
            self.process.wait()
            return {"error": f"no answer in {timeout} s"}
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            return {"error": f"the worker ended (exit {self.process.returncode})"}
        return json.loads(line)

    def time(self, runs):
        if self.error:
            return []
        self.process.stdin.write(f"{runs}\n")
        self.process.stdin.flush()
        reply = self._read()
        if "error" in reply:
            self.error = reply["error"]
            return []
        return reply["samples_us"]

    def close(self):
        rss = None
        if self.process.poll() is None:
            try:
                self.process.stdin.write("quit\n")
                self.process.stdin.flush()
                rss = self._read().get("rss_kib")
            except (BrokenPipeError, ValueError):
                pass
        self.process.wait()
        return rss


# Below this many output channels per group, or multiply-adds per output
# element (a convolution's input channels per group times its window, a
# product's K), a convolution or product is a small-channel layer: too few
# for a vector of output channels, or for the multiply-adds per element
# read to hide the reads.
SMALL_CHANNELS = 16


def layer_costs(model_path):
    """{node name: (FLOPs, bytes, small)} for Conv, ConvTranspose, Gemm and
    MatMul nodes: the multiply-adds computed directly (times 2), the bytes
    of their input, weights and output, and whether the layer has fewer
    than SMALL_CHANNELS output channels per group (a product: columns) or
    multiply-adds per output element (input channels per group times the
    window; a product's K): depthwise convolutions, 1x1 convolutions of
    few input channels, classifier heads of few outputs."""
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
    costs = {}
    for node in model.graph.node:
        out = shapes.get(node.output[0])
        if (node.op_type not in ("Conv", "ConvTranspose", "Gemm", "MatMul")
                or not out or 0 in out):
            continue
        x, w = shapes.get(node.input[0]), shapes.get(node.input[1])
        if not x or not w:
            continue
        group = next((at.i for at in node.attribute if at.name == "group"), 1)
        if node.op_type == "Conv":
            flops = 2 * int(np.prod(out)) * int(np.prod(w[1:]))
            small = min(int(np.prod(w[1:])), w[0] // group) < SMALL_CHANNELS
        elif node.op_type == "ConvTranspose":
            flops = 2 * int(np.prod(x)) * int(np.prod(w[1:]))
            # Each output element takes the window's taps that land on
            # it: about the window over the strides.
            strides = next((list(at.ints) for at in node.attribute
                            if at.name == "strides"), [1])
            per_output = (w[0] // group * int(np.prod(w[2:]))
                          // max(1, int(np.prod(strides))))
            small = min(per_output, w[1]) < SMALL_CHANNELS
        else:  # Gemm, MatMul
            trans_a = any(at.name == "transA" and at.i for at in node.attribute)
            k = x[-2] if trans_a else x[-1]
            flops = 2 * int(np.prod(out)) * k
            small = min(k, out[-1]) < SMALL_CHANNELS
        size = 4 * (int(np.prod(x)) + int(np.prod(w)) + int(np.prod(out)))
        costs[node.name] = (flops, size, small)
    return costs


def profile_layers(exe, inputs, costs, runs):
    """From the executable's --profile on one thread, over the layers in
    `costs`: {"gflops": the GFLOP/s of the others, "small_gbps": the GB/s
    (bytes read and written) of the small-channel and depthwise ones},
    each None without such layers."""
    ops, _, _ = kiln_profile.profile(exe, inputs, runs, 1, exe + "-out")
    us = {False: 0.0, True: 0.0}
    flops, size = 0, 0
    for _, node, time_us in ops:
        if node in costs:
            layer_flops, layer_bytes, small = costs[node]
            us[small] += time_us
            if small:
                size += layer_bytes
            else:
                flops += layer_flops
    return {"gflops": flops / us[False] / 1e3 if us[False] else None,
            "small_gbps": size / us[True] / 1e3 if us[True] else None}


def rounds_runs(args):
    """(runs in all, runs per round after the first): the first round is
    one run per engine, which tells how long the engine's runs take."""
    rest = max(1, args.rounds - 1)
    each = max(1, -(-(args.runs - 1) // rest))
    return 1 + rest * each, each


def measure(args, label, batch, folder, torch_spec, thread_counts, peers,
            peer_python, layers=True):
    """One model: Kiln's default build and every peer, at each thread
    count; returns its row of results."""
    model = os.path.join(folder, "model.onnx")
    inputs = folder_arrays(folder, "input")
    references = [np.load(p) for p in folder_arrays(folder, "output")]
    row = {"model": label, "batch": batch, "compile_s": {}, "rss_kib": {},
           "rss_of_worker": True,
           "checks": {}, "errors": {}}
    exe = os.path.join(args.work, f"{label}-b{batch}-kiln")
    start = time.perf_counter()
    error = kt.build(args.kilnc, model, "dnnl", exe)
    row["compile_s"]["kiln"] = time.perf_counter() - start
    if error:
        row["errors"]["kiln"] = error.splitlines()[0][:300]
    else:
        out_dir = exe + "-out"
        os.makedirs(out_dir, exist_ok=True)
        row["rss_kib"]["kiln"] = peak_rss_kib([exe, *inputs, "-o", out_dir])
        names = [n for n, _, _ in kt.signature(exe)["outputs"]]
        outputs = [np.load(os.path.join(out_dir, kt.output_file(n))) for n in names]
        row["checks"]["kiln"] = check(outputs, references)
        # The fused ops keep their convolution's or matrix product's node
        # name, so their time includes the fused epilogues: a conservative
        # figure.
        costs = layer_costs(model) if layers else {}
        if costs:
            row.update(profile_layers(exe, inputs, costs, 10))
    per_round = rounds_runs(args)[1]
    kept = {}  # workers that change their thread count in place
    for threads in thread_counts:
        work = os.path.join(args.work, f"{label}-b{batch}-peers")
        workers = []
        for engine in peers:
            if engine in row["errors"]:
                continue
            # An engine whose one run took over 16 budgets is timed at the
            # first thread count only.
            slow = row.get("one_run_s", {}).get(engine)
            if slow and slow > 16 * args.budget_s:
                row.setdefault(f"skipped{threads}", {})[engine] = slow
                continue
            worker = kept.pop(engine, None)
            if worker:
                worker.set_threads(threads)
            else:
                worker = Worker(peer_python, engine, model, threads, work, inputs,
                                torch_spec)
            if worker.error:
                row["errors"][engine] = worker.error
                worker.close()
                continue
            row["compile_s"].setdefault(engine, worker.compile_s)
            row["checks"].setdefault(engine, check(worker.outputs, references))
            workers.append(worker)
        samples = {"kiln": []} if "kiln" not in row["errors"] else {}
        samples.update({w.engine: [] for w in workers})
        # After the first thread count, Kiln also runs on the first one in
        # the same rounds ("kiln@1"): a figure on more threads is compared
        # with one taken beside it, not minutes apart (this machine's speed
        # drifts by tens of percent over such spans).
        control = None
        if "kiln" in samples and threads != thread_counts[0]:
            control = "kiln@1"
            samples[control] = []
        # An engine whose first run (compile excluded) took over 4 budgets
        # is not run again: that run is its one sample.
        for worker in workers:
            if worker.first_run_us > 4e6 * args.budget_s:
                samples[worker.engine].append(worker.first_run_us)
                row.setdefault("one_run_s", {})[worker.engine] = worker.first_run_us / 1e6
        # An engine that has spent its time budget on this model stops
        # after the round it is in (with at least 5 runs): its cell says
        # how many runs its median is of.
        def runs_now(engine):
            """How many runs the engine does in this round: none once it has
            spent its budget (with 5 runs at least, or fewer when 5 would
            take more than 4 budgets); fewer when its runs so far say a
            whole round would overrun the budget."""
            taken = samples[engine]
            spent = sum(taken) / 1e6
            if not taken:
                return 1  # the first round probes how long a run takes
            each = spent / len(taken)
            least = max(1, min(5, int(4 * args.budget_s / each))) if each > 0 else 5
            if len(taken) >= least and spent >= args.budget_s:
                return 0
            fit = int((args.budget_s - spent) / each) if each > 0 else per_round
            return max(least - len(taken), min(per_round, fit), 0)
        # Thread pools that spin after a run (OpenMP's, ONNX Runtime's,
        # IREE's) settle before the next engine is timed.
        settle = 0.1
        # Per round with both, whether Kiln on more threads was the slower.
        rounds_beside = []
        for round_ in range(args.rounds):
            # Kiln on more threads and on the first count take turns going
            # first, so that neither is always the one to start after the
            # pause (or after the peers, which leave other data in cache).
            pair = [("kiln", threads), (control, thread_counts[0])]
            taken = {}
            for name, count in pair[::-1] if round_ % 2 else pair:
                n = runs_now(name) if name in samples else 0
                if n:
                    time.sleep(settle)
                    taken[name] = run_json(
                        [exe, *inputs, "-o", exe + "-out", "--bench", str(n),
                         "--threads", str(count)])["samples_us"]
                    samples[name] += taken[name]
            if control and taken.get("kiln") and taken.get(control):
                rounds_beside.append(float(np.median(taken["kiln"]))
                                     > float(np.median(taken[control])))
            for worker in workers:
                n = runs_now(worker.engine)
                if n:
                    time.sleep(settle)
                    samples[worker.engine] += worker.time(n)
        if control:
            side = samples.pop(control)
            if side:
                row[f"kiln_t1_beside_t{threads}"] = float(np.median(side))
                row[f"kiln_slower_rounds_t{threads}"] = [sum(rounds_beside),
                                                         len(rounds_beside)]
        row[f"runs{threads}"] = {k: len(v) for k, v in samples.items()}
        last = threads == thread_counts[-1]
        for worker in workers:
            if not last and not worker.error and worker.engine in IN_PLACE:
                kept[worker.engine] = worker
                continue
            rss = worker.close()
            if worker.error:
                row["errors"][worker.engine] = worker.error
            if rss:
                row["rss_kib"][worker.engine] = max(rss, row["rss_kib"].get(worker.engine, 0))
        row[f"t{threads}"] = {k: float(np.median(v)) for k, v in samples.items()
                              if v and k not in row["errors"]}
        times = ", ".join(f"{k} {v:.1f}" for k, v in row[f"t{threads}"].items())
        print(f"{label} b{batch} t{threads} (us): {times}", flush=True)
    for worker in kept.values():
        worker.close()
    for engine, error in row["errors"].items():
        print(f"{label} b{batch} {engine}: {error}", flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="",
                        help="only these (zoo or real-size names)")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--resume", action="store_true",
                        help="keep the models measured by an interrupted run "
                        "(WORK/results-partial.json; with --models or --quick, "
                        "WORK/results-subset-partial.json)")
    parser.add_argument("--budget-s", type=float, default=15,
                        help="time an engine may spend on one model and thread "
                        "count before it stops after its current round")
    parser.add_argument("--quick", action="store_true",
                        help="a subset: " + ", ".join(QUICK["zoo"] + QUICK["real"]) +
                        " at batch 1")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite --doc and --chart from WORK/results.json "
                        "without measuring")
    parser.add_argument("--doc", help="default: docs/performance.md, or "
                        "WORK/performance-subset.md with --models or --quick")
    parser.add_argument("--chart", help="default: docs/performance.png, or "
                        "WORK/performance-subset.png with --models or --quick")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    # A run of some models writes its table beside its results, not over
    # the full table in docs/.
    subset = bool(args.models or args.quick) and not args.report_only
    for option, ext in (("doc", "md"), ("chart", "png")):
        if getattr(args, option) is None:
            setattr(args, option,
                    os.path.join(args.work, f"performance-subset.{ext}") if subset
                    else os.path.join(ROOT, "docs", f"performance.{ext}"))
    thread_counts = [int(t) for t in args.threads.split(",")]
    peers = [p for p in args.peers.split(",") if p]
    for p in peers:
        if p not in PEERS:
            raise SystemExit(f"run.py: unknown peer {p} (known: {', '.join(PEERS)})")
    if args.report_only:
        with open(os.path.join(args.work, "results.json")) as f:
            saved = json.load(f)
        write_doc(args, saved["results"], saved["harness"],
                  (saved["peak_gflops"], saved.get("peak_gbps")),
                  thread_counts, peers, saved["minutes"])
        write_chart(args, saved["results"], thread_counts, peers)
        return 0
    wanted = set(filter(None, args.models.split(",")))
    peer_python = os.environ.get("KILN_BENCH_PYTHON", sys.executable)
    started = time.perf_counter()

    peak_exe = os.path.join(args.work, "peak")
    subprocess.run(["gcc", "-O2", "-march=native", os.path.join(HERE, "peak.c"),
                    "-o", peak_exe], check=True)
    measured = run_json([peak_exe])
    peak = (measured["gflops"], measured["gbps"])
    print(f"peak: {peak[0]} GFLOP/s per core, {peak[1]} GB/s read and "
          "written", flush=True)

    zoo_batches = QUICK["zoo_batches"] if args.quick else ZOO_BATCHES
    real_batches = QUICK["real_batches"] if args.quick else REAL_BATCHES
    cases = []
    for batch in zoo_batches:
        zoo = export_zoo(batch, args.work)
        for name in sorted(os.listdir(zoo)):
            if not os.path.isdir(os.path.join(zoo, name)):
                continue
            if (args.quick and name not in QUICK["zoo"]) or (wanted and name not in wanted):
                continue
            cases.append((name, batch, os.path.join(zoo, name), f"zoo:{zoo}:{name}:{batch}"))
    for name in REAL:
        if (args.quick and name not in QUICK["real"]) or (wanted and name not in wanted):
            continue
        for batch in real_batches:
            folder = export_real(name, batch, args.work)
            cases.append((name, batch, folder, f"{name}-b{batch}:{folder}/weights.pt"))

    # Each harness's own cost per call, on a one-op model.
    harness = measure(args, "one_op", 1, one_op_model(args.work), None, [1],
                      [p for p in peers if not p.startswith("torch")], peer_python,
                      layers=False)
    # Results are saved after each model; --resume keeps those of an
    # interrupted run and measures the rest.
    # A run of some models (--models, --quick) keeps its results apart, so
    # that the full table's stay for --report-only and --resume.
    stem = "results-subset" if (wanted or args.quick) else "results"
    partial = os.path.join(args.work, stem + "-partial.json")
    done = {}
    if args.resume and os.path.exists(partial):
        with open(partial) as f:
            done = {(r["model"], r["batch"]): r for r in json.load(f)}
    results = []
    # With rows kept from an interrupted run, the doc names those measured
    # by this one.
    args.measured_now = []
    for case in cases:
        print(f"{(time.perf_counter() - started) / 60:.1f} min: {case[0]} b{case[1]}",
              flush=True)
        row = done.get((case[0], case[1]))
        if not row:
            row = measure(args, *case, thread_counts, peers, peer_python)
            args.measured_now.append(f"{case[0]} b{case[1]}")
        results.append(row)
        with open(partial, "w") as f:
            json.dump(results, f, indent=1)
    minutes = (time.perf_counter() - started) / 60
    with open(os.path.join(args.work, stem + ".json"), "w") as f:
        json.dump({"peak_gflops": peak[0], "peak_gbps": peak[1],
                   "harness": harness, "results": results,
                   "minutes": minutes}, f, indent=1)
    write_doc(args, results, harness, peak, thread_counts, peers, minutes)
    write_chart(args, results, thread_counts, peers)
    print(f"bench: {minutes:.1f} minutes", flush=True)
    return 0


def done_before(args, results):
    """Whether some rows were kept from an interrupted run (--resume)."""
    measured = getattr(args, "measured_now", None)
    return measured is not None and len(measured) < len(results)


def cpu_name():
    """The CPU's model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f
                        if l.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def fastest_peer(row, threads, peers):
    """(engine, time) of the fastest peer with a right answer, or None."""
    times = row.get(f"t{threads}", {})
    right = [(times[p], p) for p in peers if p in times and not row["checks"].get(p)]
    return min(right)[::-1] if right else None


def versions(peer_python):
    """The peers' versions, from their venv."""
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) "
            "for p in ['onnxruntime', 'openvino', 'iree-base-compiler', 'apache-tvm', 'torch']}))")
    out = subprocess.run([peer_python, "-c", code], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def write_doc(args, results, harness, peak, thread_counts, peers, minutes):
    cpu = cpu_name()
    peer_python = os.environ.get("KILN_BENCH_PYTHON", sys.executable)
    v = versions(peer_python)
    cell = lambda row, engine, t: (
        f"failed: {row['errors'][engine]}" if engine in row["errors"] else
        f"not run: one run took {row[f'skipped{t}'][engine]:.3g} s at "
        f"{thread_counts[0]} thread{'s' if thread_counts[0] > 1 else ''}"
        if engine in row.get(f"skipped{t}", {}) else
        "-" if engine not in row.get(f"t{t}", {}) else
        f"{row[f't{t}'][engine]:.1f}" + (f" ({row['checks'][engine]})"
                                          if row["checks"].get(engine) else "")
        + (f" [{row[f'runs{t}'][engine]} runs]"
           if row.get(f"runs{t}", {}).get(engine, total_runs) < total_runs else ""))
    total_runs = rounds_runs(args)[0]
    lines = [
        "# Performance",
        "",
        "Regenerated by `./bench/run.sh` (see `bench/run.py`)" +
        (f" in {minutes:.0f} minutes" if not done_before(args, results) else "")
        + "; " + (
            "every figure comes from one run on one machine: "
            if not done_before(args, results) else
            "every figure comes from one machine, and from one run but the rows "
            f"of {', '.join(args.measured_now)}, which a second run (`--resume`, "
            "the engines side by side again) measured: ") +
        f"{cpu}, {os.cpu_count()} cores, {platform.machine()}. Each time is the "
        f"median of {total_runs} "
        f"timed runs per engine after a warm-up, the engines interleaved in "
        f"{args.rounds} rounds, in microseconds. Kiln is its default build "
        "(`kilnc model.onnx`: `--backend=dnnl`, fused) timed by its executable's "
        "`--bench --threads N` (a model whose run takes under 20 us is timed "
        "by the mean of as many back-to-back runs as take about 20 us, each "
        "such mean one of its timed runs). The peers (bench/requirements.txt, "
        "bench/peers.py) run from Python as their users run them, in f32: "
        f"ONNX Runtime {v.get('onnxruntime', '?')} (CPU execution provider, all "
        "graph optimizations, `intra_op_num_threads`, sequential execution), "
        f"OpenVINO {v.get('openvino', '?')} (`compile_model(..., \"CPU\")` with "
        "the latency hint, `INFERENCE_NUM_THREADS`, "
        f"`INFERENCE_PRECISION_HINT=f32`), IREE {v.get('iree-base-compiler', '?')} "
        "(`iree-import-onnx`, `llvm-cpu` for the host CPU, the local-task "
        f"driver with N workers), TVM {v.get('apache-tvm', '?')} (the Relax ONNX "
        "frontend, `tvm.compile` for llvm on the host CPU with its default "
        "pipeline, untuned, `TVM_NUM_THREADS`), and PyTorch "
        f"{v.get('torch', '?')} eager and `torch.compile` (Inductor, default "
        "mode) on the models' own modules with `torch.set_num_threads`. A "
        "peer's time includes its Python call; the one-op table below gives "
        "each harness's own cost per call. Every engine's outputs are checked "
        f"against PyTorch's (max |a - e| <= {TOLERANCE:g} max |e|); a wrong "
        "answer is flagged beside the time, and a failure gives its error. An "
        f"engine has {args.budget_s:g} s of runs per model and thread count "
        "(at least 5 runs, or 1 when 5 would take over 4 times that; an engine "
        "whose first run took over 4 times that is timed by that run, and "
        "one whose run took over 16 times that is timed at the first thread "
        "count only): a slow one stops early, and its cell then gives the "
        "number of runs its median is of. ONNX Runtime, OpenVINO and PyTorch "
        "change their thread count in the same process (a new session, a "
        "new compiled model, `set_num_threads` with torch.compile compiling "
        "again); IREE and TVM start a new process per thread count.",
        "",
        "Ratios: a peer's time over Kiln's (above 1: Kiln is faster), and "
        "Kiln against the fastest peer with a right answer: that peer's time "
        "over Kiln's.",
        "",
    ]
    for t in thread_counts:
        lines += [f"## {t} thread{'s' if t > 1 else ''}", "",
                  "| model | batch | Kiln | " + " | ".join(PEER_NAMES[p] for p in peers) +
                  " | fastest peer | fastest / Kiln |",
                  "|---|---:|---:|" + "---:|" * len(peers) + "---|---:|"]
        for row in results:
            kiln = row.get(f"t{t}", {}).get("kiln")
            cells = []
            for p in peers:
                text = cell(row, p, t)
                if kiln and p in row.get(f"t{t}", {}):
                    text += f" ({row[f't{t}'][p] / kiln:.2f})"
                cells.append(text)
            best = fastest_peer(row, t, peers)
            lines.append(
                f"| {row['model']} | {row['batch']} | {cell(row, 'kiln', t)} | "
                + " | ".join(cells) + " | "
                + (f"{PEER_NAMES[best[0]]} | {best[1] / kiln:.2f} |" if best and kiln else "- | - |"))
        ratios = [fastest_peer(r, t, peers)[1] / r[f"t{t}"]["kiln"] for r in results
                  if fastest_peer(r, t, peers) and r.get(f"t{t}", {}).get("kiln")]
        ort = [r[f"t{t}"]["ort"] / r[f"t{t}"]["kiln"] for r in results
               if r.get(f"t{t}", {}).get("ort") and r.get(f"t{t}", {}).get("kiln")]
        geo = lambda xs: float(np.exp(np.mean(np.log(xs)))) if xs else float("nan")
        lines += ["", f"Geometric mean, fastest peer / Kiln: {geo(ratios):.2f}; "
                  f"ONNX Runtime / Kiln: {geo(ort):.2f}. Kiln is the fastest on "
                  f"{sum(r >= 1 for r in ratios)} of {len(ratios)}.", ""]
        beside = [(r, r[f"t{t}"]["kiln"] / r[f"kiln_t1_beside_t{t}"])
                  for r in results if r.get(f"kiln_t1_beside_t{t}")
                  and r.get(f"t{t}", {}).get("kiln")]
        if beside:
            def rounds(r):
                slow = r.get(f"kiln_slower_rounds_t{t}")
                return f", slower in {slow[0]} of {slow[1]} rounds" if slow else ""
            slower = [f"{r['model']} b{r['batch']} ({x:.2f}{rounds(r)})"
                      for r, x in beside if x > 1]
            lines += [f"Kiln on {t} threads against Kiln on {thread_counts[0]} "
                      "in the same rounds (its time over the one taken beside "
                      "it; the two take turns going first, and a round's figures "
                      f"are the medians of its runs): slower on {len(slower)} of {len(beside)}"
                      + (": " + ", ".join(slower) if slower else "")
                      + f"; geometric mean {geo([x for _, x in beside]):.2f}.", ""]
    lines += ["## Cost per call", "",
              "One Add of two one-element tensors: what each harness costs per "
              "call beyond the model (Kiln: inside its executable's loop).", "",
              "| engine | time (us) |", "|---|---:|"]
    for engine in ["kiln"] + [p for p in peers if not p.startswith("torch")]:
        lines.append(f"| {PEER_NAMES.get(engine, 'Kiln')} | {cell(harness, engine, 1)} |")
    lines += ["", "## Compile time and memory", "",
              "Compile time: Kiln's kilnc to an executable; a peer's from loading "
              "the model to the end of its first run (TVM and IREE compile "
              "ahead, OpenVINO and ONNX Runtime build their graphs, "
              "torch.compile compiles on the first call). Peak RSS: Kiln's "
              "executable running the model once; a peer's Python process "
              "after its runs (Python and the engine's libraries included), "
              "its VmHWM; a run whose workers reported getrusage's ru_maxrss, "
              "which a child inherits from the bench's own peak, gives no peer "
              "figure. Kiln's layers, from its profile on one thread (a "
              "fused op's time includes its epilogue): GFLOP/s of its "
              "convolution and matrix-product layers, the multiply-adds "
              "computed directly over their time (a 3x3 convolution that "
              "oneDNN computes by Winograd's minimal filtering does fewer, so "
              "a model of many can exceed the measured peak), against one "
              "core's FMA peak (bench/peak.c); the layers of fewer than "
              f"{SMALL_CHANNELS} output channels per group or multiply-adds "
              "per output (input channels per group times the window, a "
              "product's K: depthwise convolutions, classifier heads of few "
              "outputs) apart, in GB/s: the bytes of "
              "their inputs, weights and outputs over their time, against the "
              "bytes one core reads and writes between arrays of 16 MiB "
              "(beyond its L2; their data, often in L2, can go faster).", "",
              "| model | batch | " + " | ".join(["Kiln"] + [PEER_NAMES[p] for p in peers]) +
              " | Kiln GFLOP/s (conv, matmul layers, 1 thread) |"
              " Kiln GB/s (small-channel, depthwise layers) |",
              "|---|---:|" + "---:|" * (len(peers) + 3)]
    # Results of runs whose workers reported getrusage's ru_maxrss (the
    # bench's own peak, inherited) have no peer memory figures.
    both = lambda row, e: (
        f"{row['compile_s'][e]:.1f} s" if e in row["compile_s"] else "-") + (
        f", {row['rss_kib'][e] / 1024:.0f} MiB" if row["rss_kib"].get(e) and
        (e == "kiln" or row.get("rss_of_worker")) else "")
    gflops, gbps = peak
    of = lambda value, bound: (
        "-" if value is None else f"{value:.1f}" if not bound else
        f"{value:.1f} ({100 * value / bound:.0f}% of {bound:.1f})")
    for row in results:
        lines.append(f"| {row['model']} | {row['batch']} | "
                     + " | ".join(both(row, e) for e in ["kiln"] + peers) + " | "
                     + of(row.get("gflops"), gflops) + " | "
                     + of(row.get("small_gbps"), gbps) + " |")
    lines += ["", "![Kiln against the fastest peer](performance.png)", ""]
    with open(args.doc, "w") as f:
        f.write("\n".join(lines))


def write_chart(args, results, thread_counts, peers):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['model']} b{r['batch']}" for r in results]
    fig, ax = plt.subplots(figsize=(max(8, len(labels) * 0.6), 5))
    width = 0.8 / len(thread_counts)
    for i, t in enumerate(thread_counts):
        ratios = []
        for r in results:
            best = fastest_peer(r, t, peers)
            kiln = r.get(f"t{t}", {}).get("kiln")
            ratios.append(best[1] / kiln if best and kiln else 0)
        ax.bar([x + i * width for x in range(len(labels))], ratios, width,
               label=f"{t} thread{'s' if t > 1 else ''}")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([x + width * (len(thread_counts) - 1) / 2 for x in range(len(labels))])
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("fastest peer's time / Kiln's time")
    ax.set_yscale("log")
    ax.set_title("Kiln (default build) against the fastest peer engine")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.chart, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
