"""ONNX conformance: compile every backend test with kilnc, run it, compare.

Each test is classified as
  pass         every data set's outputs match (ONNX's criterion:
               |actual - expected| <= atol + rtol * |expected|, rtol 1e-3,
               atol 1e-7, NaN matches NaN, equal shapes and element types);
  fail         wrong numbers, shapes or types, or an error that is not a
               clear "unsupported";
  unsupported  kilnc refused the model with "unsupported: REASON";
  crash        kilnc or the executable died from a signal or timed out.

With --open-batch, every model is compiled with kilnc --open-batch (dim 0
of the inputs open wherever it equals the first input's), so that a pass
means the executable took the test's batch at run time; a model whose
samples are not independent is counted as
  fixed        kilnc refused to let the batch vary (the reason is listed).
With --open-dims, every dim of the graph's inputs and outputs is made
unknown in a copy of the model (as onnx-mlir's backend tests run with
dynamic dims) and the copy is compiled with no --shape; `fixed` counts the
models kilnc refused to compile with those dims open.

Compiled executables are cached by the hash of the model, the flags and
kilnc with its runtime, so a rerun only compiles what changed.

usage:
  run_conformance.py KILNC TESTS_ROOT --backend llvm --work DIR
      [--suites node,simple,...] [--filter REGEX] [--jobs N]
      [--expected FILE [--update]] [--docs FILE]

With --expected, exits 1 when a listed test no longer passes or anything
crashes; --update rewrites the file from this run.
"""

import argparse
import collections
import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from kilntest import compare, kilnc as kt, modelproto, onnxtests, tensorproto

SUITES = ["node", "simple", "pytorch-converted", "pytorch-operator", "light"]
RTOL, ATOL = 1e-3, 1e-7


def digest_files(paths):
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


class Runner:
    def __init__(self, args):
        self.kilnc = os.path.abspath(args.kilnc)
        self.root = args.root
        self.backend = args.backend
        # The tests' layers are small; put them on oneDNN whatever their size
        # (and their transposed convolutions' few output channels) so that
        # the dnnl run tests the primitives.
        self.flags = [f"--backend={args.backend}"] + (
            ["--dnnl-min-work=0", "--dnnl-deconv-min-channels=0"]
            if args.backend == "dnnl" else [])
        self.open_batch = args.open_batch
        self.open_dims = args.open_dims
        # Per model: the flags kilnc asked for ("--bind", "--shape"), and
        # the op inputs that asked for --bind ("Reshape 'shape'").
        self.pinned = {}
        self.bound = {}
        if self.open_batch:
            self.flags += ["--open-batch"]
        if self.open_batch or self.open_dims:
            # Blocks of samples are tested by the dynamic zoo; here they
            # would only double the compile time.
            self.flags += ["--block-samples=0"]
        self.work = args.work
        lib = os.path.join(os.path.dirname(os.path.dirname(self.kilnc)), "lib")
        self.toolchain = digest_files(
            [self.kilnc] + [os.path.join(lib, f) for f in
                            ("libkiln_main.a", "libkiln_dnnl.a", "libkiln_runtime.a")
                            if os.path.exists(os.path.join(lib, f))])

    def build(self, model, folder):
        """Compiles (or reuses) the executable; (status, detail, exe)."""
        source = model
        data = open(model, "rb").read()
        if self.open_dims:
            data = modelproto.open_all_dims(data)
            os.makedirs(folder, exist_ok=True)
            source = os.path.join(folder, "open-dims.onnx")
            with open(source, "wb") as f:
                f.write(data)
        key = hashlib.sha256((self.toolchain + " ".join(self.flags)).encode()
                             + data).hexdigest()[:24]
        cache = os.path.join(self.work, "cache", key)
        exe = os.path.join(cache, "model")
        flags_file = os.path.join(cache, "flags")
        if os.path.exists(exe):
            if os.path.exists(flags_file):
                with open(flags_file) as f:
                    lines = f.read().splitlines()
                self.pinned[model] = lines[0].strip() if lines else ""
                self.bound[model] = [line for line in lines[1:] if line]
            return "ok", "", exe
        os.makedirs(folder, exist_ok=True)
        temp = os.path.join(folder, "model")
        why = []
        try:
            run, added = kt.compile_model(
                self.kilnc, source, self.flags + ["-o", temp], timeout=300,
                inputs=onnxtests.test_inputs(model),
                pin=not (self.open_batch or self.open_dims), why=why)
        except subprocess.TimeoutExpired:
            return "crash", "kilnc timed out", None
        if run.returncode < 0 or run.returncode > 1:
            return "crash", f"kilnc exit {run.returncode}", None
        if run.returncode != 0 and (self.open_batch or self.open_dims) and (
                "dims open" in run.stderr or
                onnxtests.unsupported_reason(run.stderr) is None):
            fixed = fixed_reason(run.stderr, self.open_dims)
            if fixed:
                return "fixed", fixed, None
        if run.returncode != 0:
            reason = onnxtests.unsupported_reason(run.stderr)
            if reason is not None:
                return "unsupported", reason, None
            first = run.stderr.strip().splitlines()
            return "fail", "kilnc: " + (first[-1] if first else ""), None
        os.makedirs(cache, exist_ok=True)
        shutil.move(temp, exe)
        # Which of --shape and --bind the model needed.
        kinds = " ".join(sorted({f.split("=")[0] for f in added}))
        with open(flags_file, "w") as f:
            f.write(kinds + "\n" + "".join(line + "\n" for line in why))
        self.pinned[model] = kinds
        self.bound[model] = why
        return "ok", "", exe

    def run_set(self, exe, inputs, expected, folder, rtol=RTOL):
        """Runs one data set; (status, detail)."""
        out = os.path.join(folder, "out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        try:
            run = subprocess.run([exe] + inputs + ["-o", out],
                                 capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            return "crash", "the executable timed out"
        if run.returncode < 0:
            return "crash", f"the executable died (signal {-run.returncode})"
        if run.returncode != 0:
            return "fail", "run: " + run.stderr.strip()[:200]
        for name, value in expected:
            path = os.path.join(out, kt.output_file(name))
            if not os.path.exists(path):
                return "fail", f"no output '{name}'"
            why = compare.mismatch(np.load(path), value, rtol, ATOL)
            if why:
                return "fail", f"output '{name}': {why}"
        return "pass", ""

    def run_test(self, suite, name, model):
        try:
            status, detail = self.run_test_unguarded(suite, name, model)
            if status == "pass" and self.pinned.get(model):
                detail = "needed " + self.pinned[model]
                if self.bound.get(model):
                    detail += ": " + ", ".join(self.bound[model])
            return status, detail
        except (ValueError, OSError, subprocess.CalledProcessError) as error:
            return "fail", f"runner: {error}"

    def run_test_unguarded(self, suite, name, model):
        folder = os.path.join(self.work, "runs", suite, name)
        status, detail, exe = self.build(model, folder)
        if status != "ok":
            return status, detail
        if suite == "light":
            return self.run_light(exe, name, folder)
        signature = self.signature(exe)
        for data in onnxtests.data_sets(model):
            inputs = onnxtests.numbered(data, "input_")
            outputs = onnxtests.numbered(data, "output_")
            if len(inputs) != len(signature["inputs"]):
                # Bound inputs became constants: feed only the others.
                names = {tensorproto.name_and_dims(p)[0]: p for p in inputs}
                inputs = [names.get(n, "") for n in signature["inputs"]]
                if "" in inputs:
                    return "fail", "cannot match the test's inputs"
            expected = []
            for index, path in enumerate(outputs):
                _, value = tensorproto.read(path)
                expected.append((signature["outputs"][index], value))
            status, detail = self.run_set(exe, inputs, expected, folder)
            if status != "pass":
                return status, detail
        return "pass", ""

    def run_light(self, exe, name, folder):
        signature = self.signature(exe)
        inputs = []
        for index, (_, dims) in enumerate(signature["input_shapes"]):
            path = os.path.join(folder, f"input_{index}.npy")
            np.save(path, kt.light_input(dims))
            inputs.append(path)
        _, value = tensorproto.read(
            os.path.join(self.root, "light", f"light_{name}_output_0.pb"))
        rtol = 2e-3 if name == "densenet121" else RTOL
        return self.run_set(exe, inputs, [(signature["outputs"][0], value)],
                            folder, rtol)

    @staticmethod
    def signature(exe):
        """Input and output names, and the inputs' dims, from --info."""
        sig = kt.signature(exe)
        return {"inputs": [name for name, _, _ in sig["inputs"]],
                "outputs": [name for name, _, _ in sig["outputs"]],
                "input_shapes": [(name, dims) for name, _, dims in sig["inputs"]]}


def fixed_reason(stderr, open_dims=False):
    """Why kilnc kept the batch (or, with open_dims, the dims) fixed, or
    None."""
    text = stderr.strip()
    if open_dims and "more than two dims open" in text:
        return "more than two dims open"
    if "several dims open" in text or "more than two dims open" in text:
        return "other dims are open too"
    if "computed from the size of the open dim" in text:
        return "a value is computed from the batch size (Shape, Size, Range)"
    if "the graph changes with the size" in text:
        return "the graph changes with the batch size"
    match = re.search(r"this op (.*)", text)
    if "cannot vary at run time" in text and match:
        return "an op " + match.group(1)
    if "was imported with its open dim" in text:
        return "the model does not import " + (
            "at other sizes of its dims" if open_dims else "at another batch") + \
            " (" + \
            (text.splitlines()[0].split("error: ", 1)[-1][:60]) + "...)"
    if "change rank or shape with" in text:
        return "the inputs or outputs change rank with the batch"
    return None


def tests(root, suites, pattern):
    for suite in suites:
        if suite == "light":
            entries = [(f[len("light_"):-len(".onnx")], os.path.join(root, "light", f))
                       for f in sorted(os.listdir(os.path.join(root, "light")))
                       if f.endswith(".onnx")]
        else:
            entries = list(onnxtests.models(root, suite))
        for name, model in entries:
            if not pattern or re.search(pattern, f"{suite}/{name}"):
                yield suite, name, model


def write_docs(path, backend, results, mode=""):
    open_batch = bool(mode)
    by_suite = collections.defaultdict(collections.Counter)
    reasons = collections.Counter()
    fixed = collections.Counter()
    failures = []
    for (suite, name), (status, detail) in sorted(results.items()):
        by_suite[suite][status] += 1
        if status == "unsupported":
            reasons[onnxtests.group_reason(detail)] += 1
        elif status == "fixed":
            fixed[detail if not detail.startswith("the model does not")
                  else detail.split(" (")[0]] += 1
        elif status in ("fail", "crash"):
            failures.append(f"| {suite}/{name} | {status} | {detail.replace('|', '/')} |")
    tag = "-" + mode if mode else ""
    title = {"": "", "open-batch": ", batch open", "open-dims": ", all dims open"}
    lines = [
        "# ONNX conformance" + title[mode],
        "",
        f"Results of the `--backend={backend}` executables on ONNX's backend test",
        "data (`../shared/onnx-tests`), with ONNX's pass criterion (rtol 1e-3,",
        "atol 1e-7)."]
    if mode == "open-dims":
        lines += [
            "",
            "Every model compiled with all the dims of its graph inputs and",
            "outputs unknown (a copy of the model with the dims cleared, as",
            "onnx-mlir's backend tests run with dynamic dims) and no `--shape`,",
            "so a pass means the executable took the test's shapes at run",
            "time. Kiln lets two open dims vary at run time: the first (the",
            "batch, whose samples must be independent) and the second (a",
            "sequence length, padded up to 128 positions by default).",
            "`fixed` counts the models kilnc refused to compile with their",
            "dims open; they pass in the run with fixed shapes",
            "([conformance.md](conformance.md))."]
    elif open_batch:
        lines += [
            "",
            "Every model compiled with `kilnc --open-batch`: dim 0 of the",
            "graph inputs is open wherever it equals the first input's, so a",
            "pass means the executable took the test's batch at run time.",
            "`fixed` counts the models whose batch kilnc refused to let vary",
            "(their samples are not independent); they pass in the run with",
            "fixed shapes ([conformance.md](conformance.md))."]
    lines += [
        "Regenerate with:",
        "",
        "```sh",
        "PYTHONPATH=test /usr/bin/python3 test/Conformance/run_conformance.py \\",
        "    build/bin/kilnc \\",
        f"    ../shared/onnx-tests --backend {backend} --work build/conformance{tag} \\"]
    if open_batch:
        lines += ["    --suites node,simple,pytorch-converted,pytorch-operator \\",
                  f"    --{mode} \\"]
    lines += [
        f"    --expected test/Conformance/expected-{backend}{tag}.txt --update \\",
        f"    --docs docs/conformance{tag}.md",
        "```",
        "",
        "| suite | tests | pass | " + ("fixed | " if open_batch else "") +
        "fail | unsupported | crash |",
        "| --- | --- | --- | " + ("--- | " if open_batch else "") +
        "--- | --- | --- |",
    ]
    for suite in SUITES:
        if suite in by_suite:
            c = by_suite[suite]
            lines.append(f"| {suite} | {sum(c.values())} | {c['pass']} | " +
                         (f"{c['fixed']} | " if open_batch else "") +
                         f"{c['fail']} | {c['unsupported']} | {c['crash']} |")
    if open_batch:
        lines += ["", "## Why the " + ("dims stay" if mode == "open-dims" else
                                       "batch stays") + " fixed", "",
                  "| tests | reason |", "| --- | --- |"]
        lines += [f"| {count} | {reason.replace('|', '/')} |"
                  for reason, count in fixed.most_common()]
    needed = collections.Counter(
        detail.split(":")[0] for (suite, _), (status, detail) in results.items()
        if status == "pass" and detail)
    # Which op input asked for --bind, per pass that needed it.
    binders = collections.Counter(
        asked for (status, detail) in results.values()
        if status == "pass" and ": " in detail
        for asked in detail.split(": ", 1)[1].split(", "))
    passes = sum(1 for status, _ in results.values() if status == "pass")
    lines += ["", f"Of the {passes} passes, "
              f"{passes - sum(needed.values())} compile as they are; the others "
              "needed flags kilnc asked for: " + ", ".join(
                  f"{count} {kind}" for kind, count in sorted(needed.items()))
              + " (`--bind`: a graph input whose value decides an output "
              "shape, given as a constant; `--shape`: open dims pinned)."
              if needed else f"All {passes} passes compile as they are."]
    if binders:
        lines += ["", "## Inputs bound with --bind", "",
                  "Each is an op input whose value decides the shape of the "
                  "op's output (the output shape depends on the data), so "
                  "Kiln takes it as a constant.", "",
                  "| tests | op input |", "| --- | --- |"]
        lines += [f"| {count} | {asked} |" for asked, count in
                  sorted(binders.items(), key=lambda item: (-item[1], item[0]))]
    lines += ["", "## Why tests are unsupported", "",
              "| tests | reason |", "| --- | --- |"]
    lines += [f"| {count} | {reason.replace('|', '/')} |"
              for reason, count in reasons.most_common()]
    lines += ["", "## Failures", "", "| test | status | detail |", "| --- | --- | --- |"]
    lines += failures or ["| (none) | | |"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kilnc")
    parser.add_argument("root")
    parser.add_argument("--backend", default="llvm")
    parser.add_argument("--work", required=True)
    parser.add_argument("--suites", default=",".join(SUITES))
    parser.add_argument("--filter", default="")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--expected")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--docs")
    parser.add_argument("--open-batch", action="store_true")
    parser.add_argument("--open-dims", action="store_true")
    args = parser.parse_args()

    runner = Runner(args)
    work = list(tests(args.root, args.suites.split(","), args.filter))
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(runner.run_test, s, n, m): (s, n) for s, n, m in work}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()

    counts = collections.defaultdict(collections.Counter)
    for (suite, name), (status, detail) in sorted(results.items()):
        counts[suite][status] += 1
        if status in ("fail", "crash"):
            print(f"{status.upper()}: {suite}/{name}: {detail}")
    for suite, c in counts.items():
        print(f"{suite}: {sum(c.values())} tests, {c['pass']} pass, "
              + (f"{c['fixed']} fixed, " if args.open_batch or args.open_dims
                 else "")
              + f"{c['fail']} fail, {c['unsupported']} unsupported, "
              f"{c['crash']} crash")
    if args.docs:
        write_docs(args.docs, args.backend, results,
                   "open-batch" if args.open_batch else
                   "open-dims" if args.open_dims else "")

    passing = sorted(f"{s}/{n}" for (s, n), (st, _) in results.items() if st == "pass")
    crashes = sum(1 for st, _ in results.values() if st == "crash")
    if not args.expected:
        return 1 if crashes else 0
    if args.update:
        with open(args.expected, "w") as f:
            f.write("\n".join(passing) + "\n")
        print(f"wrote {len(passing)} passing tests to {args.expected}")
        return 1 if crashes else 0
    expected = {line.strip() for line in open(args.expected) if line.strip()}
    ran = {f"{s}/{n}" for s, n in results}
    regressed = sorted((expected & ran) - set(passing))
    new = sorted(set(passing) - expected)
    for test in regressed:
        print(f"REGRESSED: {test} passed before: {results[tuple(test.split('/', 1))]}")
    if new:
        print(f"{len(new)} tests pass that {args.expected} does not list yet; "
              "rerun with --update to record them")
    print(f"{len(passing)} of {len(ran)} tests pass")
    return 1 if regressed or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
