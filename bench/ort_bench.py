"""Times ONNX Runtime (the PyPI CPU build) on one model.

usage: ort_bench.py MODEL.onnx THREADS RUNS INPUT.npy...

Prints one JSON line: {"samples_us": [...]} (one entry per timed run, after
one warm-up run). Inputs are bound to the graph's inputs in order. ONNX
Runtime runs on the CPU execution provider with all graph optimizations,
THREADS intra-op threads and sequential execution.
"""

import json
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    model, threads, runs, *inputs = sys.argv[1:]
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options,
                                   providers=["CPUExecutionProvider"])
    feeds = {i.name: np.load(path)
             for i, path in zip(session.get_inputs(), inputs)}
    session.run(None, feeds)
    samples = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        session.run(None, feeds)
        samples.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({"samples_us": samples}))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line, as the driver reports it
        sys.exit(f"ort_bench: {error}")
