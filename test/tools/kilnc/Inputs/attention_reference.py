"""Inputs for attention.onnxtxt, and its outputs checked against a float64
NumPy reference.

usage: attention_reference.py inputs DIR | check INPUTS OUTPUTS
"""
import os
import sys

import numpy as np


def inputs(folder):
    rng = np.random.default_rng(7)
    arrays = {
        "Q": rng.normal(0, 1, (2, 4, 72, 16)),
        "K": rng.normal(0, 1, (2, 2, 300, 16)),
        "V": rng.normal(0, 1, (2, 2, 300, 8)),
        "BM": rng.uniform(0, 1, (2, 1, 72, 300)) < 0.7,
        "FM": rng.normal(0, 2, (72, 300)),
    }
    arrays["BM"][0, 0, 5, :] = False  # query 5 of batch 0 sees no key
    arrays["BM"][1, 0, :, 299] = True
    for name, a in arrays.items():
        a = a if a.dtype == bool else a.astype(np.float32)
        np.save(os.path.join(folder, name + ".npy"), a)


def attention(q, k, v, scale, mask=None, causal=False, softcap=None):
    k = np.repeat(k, q.shape[1] // k.shape[1], axis=1)
    v = np.repeat(v, q.shape[1] // v.shape[1], axis=1)
    s = q @ np.swapaxes(k, -1, -2) * scale
    if softcap:
        s = softcap * np.tanh(s / softcap)
    if mask is not None and mask.dtype == bool:
        s = np.where(mask, s, -np.inf)
    elif mask is not None:
        s = s + mask
    if causal:
        lq, lk = s.shape[-2:]
        s = np.where(np.tril(np.ones((lq, lk), bool)), s, -np.inf)
    top = s.max(axis=-1, keepdims=True)
    seen = np.isfinite(top)
    e = np.exp(s - np.where(seen, top, 0))
    p = e / np.where(seen, e.sum(axis=-1, keepdims=True), 1)
    return p @ v  # rows that see no key are 0


def check(input_dir, output_dir):
    x = {n: np.load(os.path.join(input_dir, n + ".npy")).astype(
        bool if n == "BM" else np.float64) for n in ["Q", "K", "V", "BM", "FM"]}
    q, k, v = x["Q"], x["K"], x["V"]
    expected = {
        "A": attention(q, k, v, 0.25, mask=x["BM"]),
        "B": attention(q, k, v, 0.3, mask=x["FM"], causal=True),
        "C": attention(q, k, v, 0.25, softcap=2.0),
    }
    for name, want in expected.items():
        got = np.load(os.path.join(output_dir, name + ".npy"))
        error = np.abs(got - want).max()
        print(name, got.shape, "ok" if error < 1e-5 else f"max error {error}")
    print("zero row:", np.abs(np.load(os.path.join(output_dir, "A.npy"))[0, :, 5]).max())


if __name__ == "__main__":
    if sys.argv[1] == "inputs":
        inputs(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
