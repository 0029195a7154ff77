"""Times Keras models in TensorFlow, as a server so that its timings
interleave with Kiln's: one JSON request per stdin line, one JSON answer
per stdout line. Run in the venv with the pinned Keras and TensorFlow.

usage: tf_bench.py THREADS
request: {"model": PATH.keras, "inputs": [NPY...], "mode": "eager"|"xla",
          "runs": N, "save": NPY (optional: write the first output)}
answer:  {"samples_us": [...]}

TensorFlow runs on THREADS intra-op threads (one inter-op thread). "eager"
is the model called eagerly (`model(x, training=False)`); "xla" is the
same call in `tf.function(jit_compile=True)`, compiled by XLA on the warm-up
run.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import tensorflow as tf

threads = int(sys.argv[1])
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(1)

import keras
import numpy as np

models, functions = {}, {}


def callable_for(path, mode, count):
    if path not in models:
        models[path] = keras.models.load_model(path)
    model = models[path]
    key = (path, mode, count)
    if key not in functions:
        def call(*xs):
            return model(list(xs) if len(xs) > 1 else xs[0], training=False)
        functions[key] = tf.function(call, jit_compile=True) \
            if mode == "xla" else call
    return functions[key]


for line in sys.stdin:
    request = json.loads(line)
    inputs = [tf.constant(np.load(p)) for p in request["inputs"]]
    fn = callable_for(request["model"], request["mode"], len(inputs))
    out = fn(*inputs)  # warm-up (and the XLA compile)
    if request.get("save"):
        first = out[0] if isinstance(out, (list, tuple)) else out
        np.save(request["save"], np.asarray(first))
    samples = []
    for _ in range(request["runs"]):
        start = time.perf_counter()
        out = fn(*inputs)
        # Wait for the result to exist on the host.
        (out[0] if isinstance(out, (list, tuple)) else out).numpy()
        samples.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({"samples_us": samples}), flush=True)
