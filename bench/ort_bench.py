"""Times ONNX Runtime (the PyPI CPU build) on one model.

usage: ort_bench.py MODEL.onnx THREADS RUNS INPUT.npy...

Prints one JSON line: {"samples_us": [...]} (one entry per timed run, after
one warm-up run). Inputs are bound to the graph's inputs in order. ONNX
Runtime runs on the CPU execution provider with all graph optimizations,
THREADS intra-op threads and sequential execution (peers.prepare_ort).
"""

import json
import sys
import time

import numpy as np

from peers import prepare_ort


def main():
    model, threads, runs, *inputs = sys.argv[1:]
    run = prepare_ort(model, int(threads), [np.load(p) for p in inputs], None, None)
    run()
    samples = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({"samples_us": samples}))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line, as the driver reports it
        sys.exit(f"ort_bench: {error}")
