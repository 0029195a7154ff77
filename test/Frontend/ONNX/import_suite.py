"""Imports every model of ONNX backend test suites with kilnc.

Each model is classified as
  imported     kilnc --emit=graph succeeded;
  unsupported  kilnc refused it with an "unsupported: ..." error;
  failed       kilnc reported another error (a bug, or a malformed model);
  crashed      kilnc died from a signal or timed out (always a bug).
Prints one line per non-imported model, the unsupported reasons grouped,
and a summary per suite. Exits 1 when any model failed or crashed.

usage: import_suite.py KILNC TESTS_ROOT SUITE [SUITE ...] [--jobs N]
"""

import collections
import concurrent.futures
import os
import re
import subprocess
import sys


def models(root, suite):
    folder = os.path.join(root, suite)
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and os.path.exists(os.path.join(path, "model.onnx")):
            yield name, os.path.join(path, "model.onnx")
        elif name.endswith(".onnx"):
            yield name[:-5], path


def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def tensor_name_and_dims(path):
    """The name and dims of a serialized onnx.TensorProto (fields 8 and 1)."""
    data = open(path, "rb").read()
    pos, name, dims = 0, None, []
    while pos < len(data):
        key, pos = read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
            if field == 1:
                dims.append(value)
        elif wire == 2:
            length, pos = read_varint(data, pos)
            chunk = data[pos:pos + length]
            pos += length
            if field == 1:  # packed dims
                p = 0
                while p < len(chunk):
                    value, p = read_varint(chunk, p)
                    dims.append(value)
            elif field == 8:
                name = chunk.decode("utf-8", "replace")
        elif wire == 5:
            pos += 4
        elif wire == 1:
            pos += 8
        else:
            break
    return name, dims


def test_inputs(model):
    """Name -> (path, dims) of each input in the test's test_data_set_0."""
    folder = os.path.join(os.path.dirname(model), "test_data_set_0")
    inputs = {}
    if os.path.isdir(folder):
        for entry in sorted(os.listdir(folder)):
            if entry.startswith("input_") and entry.endswith(".pb"):
                path = os.path.join(folder, entry)
                name, dims = tensor_name_and_dims(path)
                if name:
                    inputs[name] = (path, dims)
    return inputs


def classify(kilnc, model):
    """Imports the model as a user would: pinning symbolic dims and binding
    the inputs that decide shapes (to the test's data) when kilnc asks."""
    flags = []
    inputs = test_inputs(model)
    try:
        for _ in range(8):
            run = subprocess.run(
                [kilnc, model, "--emit=graph", "-o", os.devnull] + flags,
                capture_output=True, text=True, timeout=120)
            if run.returncode != 1:
                break
            bind = re.search(r"--bind (\S+)=FILE\.pb", run.stderr)
            if "pin the shape with --shape" in run.stderr and not any(
                    f.startswith("--shape") for f in flags):
                flags += [f"--shape={n}=" + "x".join(map(str, d))
                          for n, (_, d) in inputs.items()]
            elif bind and bind.group(1) in inputs and \
                    f"--bind={bind.group(1)}=" not in " ".join(flags):
                flags.append(f"--bind={bind.group(1)}={inputs[bind.group(1)][0]}")
            else:
                break
    except subprocess.TimeoutExpired:
        return "crashed", "timeout"
    if run.returncode < 0 or run.returncode > 1:
        return "crashed", f"exit {run.returncode}: {run.stderr.strip()[-300:]}"
    if run.returncode == 0:
        return "imported", ""
    message = run.stderr.strip().splitlines()[0] if run.stderr.strip() else ""
    match = re.search(r"error: unsupported: (.*)", message)
    if match:
        return "unsupported", match.group(1)
    return "failed", message


def main():
    args = sys.argv[1:]
    jobs = os.cpu_count() or 2
    if "--jobs" in args:
        i = args.index("--jobs")
        jobs = int(args[i + 1])
        del args[i:i + 2]
    kilnc, root, suites = args[0], args[1], args[2:]
    bad = 0
    totals = []
    reasons = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for suite in suites:
            entries = list(models(root, suite))
            results = pool.map(lambda e: (e[0],) + classify(kilnc, e[1]), entries)
            counts = collections.Counter()
            for name, status, detail in results:
                counts[status] += 1
                if status == "unsupported":
                    # Group reasons without the model-specific details.
                    reasons[re.sub(r"'[^']*'", "'...'", detail)
                            if "input '" in detail else detail] += 1
                if status in ("failed", "crashed"):
                    bad += 1
                    print(f"{status.upper()}: {suite}/{name}: {detail}")
            totals.append((suite, len(entries), counts))
    print("\nunsupported, by reason:")
    for reason, count in reasons.most_common():
        print(f"  {count:4d}  {reason}")
    print()
    for suite, total, counts in totals:
        print(f"{suite}: {total} models, {counts['imported']} imported, "
              f"{counts['unsupported']} unsupported, {counts['failed']} failed, "
              f"{counts['crashed']} crashed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
