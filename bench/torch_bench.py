"""Times PyTorch eager on one zoo model (the module make_zoo.py defines).

usage: torch_bench.py ZOO_DIR NAME BATCH THREADS RUNS
Prints {"samples_us": [...]} after one warm-up run; the inputs are the
zoo's own (ZOO_DIR/NAME/input_K.npy).
"""

import json
import os
import sys
import time

import numpy as np
import torch

import make_zoo


def main():
    zoo, name, batch, threads, runs = sys.argv[1:6]
    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    if name == "mnist_cnn":
        model = make_zoo.MnistCnn()
    else:
        model, _, _, _ = make_zoo.zoo_entries(
            int(batch), np.random.default_rng(0))[name]()
    model.eval()
    inputs = []
    k = 0
    while os.path.exists(os.path.join(zoo, name, f"input_{k}.npy")):
        inputs.append(torch.from_numpy(np.load(os.path.join(zoo, name, f"input_{k}.npy"))))
        k += 1
    samples = []
    with torch.no_grad():
        model(*inputs)
        for _ in range(int(runs)):
            start = time.perf_counter()
            model(*inputs)
            samples.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({"samples_us": samples}))


if __name__ == "__main__":
    main()
