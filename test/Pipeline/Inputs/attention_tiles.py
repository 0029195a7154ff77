"""Attention whose probabilities the generated kernel computes in square
tiles of the vector width (queries and keys in multiples of 16, masks the
same for every query), for attention-tiles.test.

  attention_tiles.py make DIR: writes DIR/model.onnx (ONNX Attention,
      opset 23), its inputs DIR/*.npy and the float64 NumPy references
      DIR/expected_*.npy:
      - "causal": 2 heads, 32 queries and keys, is_causal;
      - "long": 16 queries over 512 keys (two key blocks: the second
        rescales the first's sums and rows, its scores raised by the mask)
        with an additive mask per key;
      - "capped": grouped-query attention (4 query heads on 2 key/value
        heads), 48 keys, head size 32, softcap;
      - "padding": a boolean mask per batch and key (no query sees none).
  attention_tiles.py check DIR OUTDIR: compares OUTDIR's outputs with them.
"""

import sys

import numpy as np
from onnx import TensorProto, helper

from kilntest import compare

OUTPUTS = ("causal", "long", "capped", "padding")


def reference(q, k, v, mask=None, causal=False, softcap=None):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    group = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    if causal:
        lq, lk = s.shape[-2:]
        s = np.where(np.tril(np.ones((lq, lk), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def make(work):
    rng = np.random.default_rng(23)

    def normal(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    inputs, nodes, expected = {}, [], {}

    def case(name, q, k, v, mask=None, **attributes):
        names = [f"{name}_{x}" for x in ("q", "k", "v")]
        for n, a in zip(names, (q, k, v)):
            inputs[n] = a
        if mask is not None:
            names.append(f"{name}_mask")
            inputs[names[-1]] = mask
        nodes.append(helper.make_node("Attention", names, [name],
                                      **attributes))
        expected[name] = reference(
            q, k, v, mask, causal=bool(attributes.get("is_causal")),
            softcap=attributes.get("softcap")).astype(np.float32)

    case("causal", normal(1, 2, 32, 16), normal(1, 2, 32, 16),
         normal(1, 2, 32, 16), is_causal=1)
    raised = normal(1, 1, 1, 512)
    raised[..., 256:] += 3.0
    case("long", normal(1, 2, 16, 16), normal(1, 2, 512, 16),
         normal(1, 2, 512, 16), raised)
    case("capped", normal(2, 4, 16, 32, scale=2.0), normal(2, 2, 48, 32),
         normal(2, 2, 48, 32), softcap=3.0)
    keep = rng.random((2, 1, 1, 64)) > 0.3
    keep[..., 0] = True
    case("padding", normal(2, 2, 16, 16), normal(2, 2, 64, 16),
         normal(2, 2, 64, 16), keep)

    def info(name, array):
        kind = TensorProto.BOOL if array.dtype == bool else TensorProto.FLOAT
        return helper.make_tensor_value_info(name, kind, list(array.shape))

    graph = helper.make_graph(
        nodes, "attention_tiles",
        [info(n, a) for n, a in inputs.items()],
        [info(n, a) for n, a in expected.items()])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 23)])
    compare.save_case(work, model, inputs, expected)


def check(work, outdir):
    return compare.check_saved(work, outdir, OUTPUTS, 1e-4, 1e-5)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
