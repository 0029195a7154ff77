"""Inputs for attention.onnxtxt (or, with `padded`, attention-padded.onnxtxt;
with `heads`, attention-heads.onnxtxt, whose queries, keys, values and first
two outputs are laid out [batch, position, head, size]), and its outputs
checked against a float64 NumPy reference.

usage: attention_reference.py inputs DIR [padded|heads]
       attention_reference.py check INPUTS OUTPUTS [heads]
"""
import os
import sys

import numpy as np


# (batch, query heads, key heads, queries, keys): 67 queries and 263 keys
# have no block of 8 or more, so the kernel takes them padded.
SIZES = {"default": (2, 4, 2, 72, 300), "padded": (1, 2, 1, 67, 263),
         "heads": (2, 4, 2, 72, 300)}


def heads_inside(a):
    """[batch, head, position, size] <-> [batch, position, head, size]."""
    return np.swapaxes(a, 1, 2)


def inputs(folder, variant):
    b, h, hk, lq, lk = SIZES[variant]
    rng = np.random.default_rng(7)
    arrays = {
        "Q": rng.normal(0, 1, (b, h, lq, 16)),
        "K": rng.normal(0, 1, (b, hk, lk, 16)),
        "V": rng.normal(0, 1, (b, hk, lk, 8)),
        "BM": rng.uniform(0, 1, (b, 1, lq, lk)) < 0.7,
        "FM": rng.normal(0, 2, (lq, lk)),
    }
    arrays["BM"][-1, 0, :, lk - 1] = True
    arrays["BM"][0, 0, 5, :] = False  # query 5 of batch 0 sees no key
    if variant == "heads":
        for name in ["Q", "K", "V"]:
            arrays[name] = heads_inside(arrays[name])
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


def check(input_dir, output_dir, variant):
    x = {n: np.load(os.path.join(input_dir, n + ".npy")).astype(
        bool if n == "BM" else np.float64) for n in ["Q", "K", "V", "BM", "FM"]}
    q, k, v = x["Q"], x["K"], x["V"]
    if variant == "heads":
        q, k, v = heads_inside(q), heads_inside(k), heads_inside(v)
    expected = {
        "A": attention(q, k, v, 0.25, mask=x["BM"]),
        "B": attention(q, k, v, 0.3, mask=x["FM"], causal=True),
        "C": attention(q, k, v, 0.25, softcap=2.0),
    }
    if variant == "heads":
        expected["A"] = heads_inside(expected["A"])
        expected["B"] = heads_inside(expected["B"])
    for name, want in expected.items():
        got = np.load(os.path.join(output_dir, name + ".npy"))
        error = np.abs(got - want).max()
        print(name, got.shape, "ok" if error < 1e-5 else f"max error {error}")
    a = np.load(os.path.join(output_dir, "A.npy"))
    print("zero row:", np.abs(a[0, 5] if variant == "heads" else a[0, :, 5]).max())


if __name__ == "__main__":
    if sys.argv[1] == "inputs":
        inputs(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "default")
    else:
        check(sys.argv[2], sys.argv[3],
              sys.argv[4] if len(sys.argv) > 4 else "default")
