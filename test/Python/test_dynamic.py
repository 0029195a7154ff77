"""Models with an open dim: compiled once, run at several sizes."""

import numpy as np
import pytest

import kiln
from kilntest.compare import mismatch

from conftest import ATOL, MODELS, RTOL, zoo_arrays

DYNAMIC = MODELS / "dynamic"


@pytest.mark.parametrize("backend", ["dnnl", "llvm"])
@pytest.mark.parametrize("name,symbol", [("resnet_block", "batch"), ("distmult", "triples")])
def test_any_batch(name, symbol, backend, cache_dir):
    folder = DYNAMIC / name
    model = kiln.compile(folder / "model.onnx", backend=backend, cache_dir=cache_dir)
    assert model.dim_symbol == symbol
    assert all(info.shape[0] == symbol for info in model.inputs)
    for size in ["b1", "b3", "b16"]:
        inputs = zoo_arrays(folder, "input", "_" + size)
        (expected,) = zoo_arrays(folder, "output", "_" + size)
        got = model(*inputs)
        assert mismatch(got, expected, RTOL, ATOL) is None, size
    # 19 samples: a block of 16 and three more.
    inputs = [np.concatenate(pair) for pair in zip(zoo_arrays(folder, "input", "_b16"),
                                                   zoo_arrays(folder, "input", "_b3"))]
    expected = np.concatenate(zoo_arrays(folder, "output", "_b16") + zoo_arrays(folder, "output", "_b3"))
    assert mismatch(model(*inputs), expected, RTOL, ATOL) is None
    # No samples at all.
    empty = model(*[a[:0] for a in inputs])
    assert empty.shape == (0,) + expected.shape[1:]


def test_pinned_sequence(cache_dir):
    """The sequence length is pinned; the batch still varies."""
    folder = DYNAMIC / "gru_classifier"
    tokens = zoo_arrays(folder, "input", "_b3")[0]
    model = kiln.compile(folder / "model.onnx", shapes={"seq": tokens.shape[1]},
                         cache_dir=cache_dir)
    assert model.inputs[0].shape == ("batch", tokens.shape[1])
    for size in ["b1", "b3", "b16"]:
        (x,) = zoo_arrays(folder, "input", "_" + size)
        (expected,) = zoo_arrays(folder, "output", "_" + size)
        assert mismatch(model(x), expected, RTOL, ATOL) is None, size


@pytest.mark.parametrize("backend", ["dnnl", "llvm"])
@pytest.mark.parametrize("name", ["lstm_tagger", "mha_encoder"])
def test_open_sequence(name, backend, cache_dir):
    """The batch and the sequence length both vary: one build runs at the
    fixtures' lengths (7, 40, 97 at batch 3, and the batches' own)."""
    folder = DYNAMIC / name
    model = kiln.compile(folder / "model.onnx", shapes={"seq": range(1, 101)}, backend=backend,
                         cache_dir=cache_dir)
    assert model.dim_symbol == "batch"
    assert model.sequence_symbol == "seq"
    assert model.inputs[0].shape[:2] == ("batch", "seq")
    assert model.outputs[0].shape[:2] == ("batch", "seq")
    for size in ["b3_s7", "b3_s40", "b3_s97", "b1", "b16"]:
        inputs = zoo_arrays(folder, "input", "_" + size)
        (expected,) = zoo_arrays(folder, "output", "_" + size)
        got = model(*inputs)
        assert got.shape == expected.shape, size
        assert mismatch(got, expected, RTOL, ATOL) is None, size
    inputs = zoo_arrays(folder, "input", "_b3_s7")
    # Longer than the range: refused.
    too_long = [np.concatenate([a] * 15, axis=1) for a in inputs]
    with pytest.raises((ValueError, RuntimeError), match="outside the lengths"):
        model(*too_long)
    if len(inputs) > 1:
        with pytest.raises((ValueError, RuntimeError), match="disagree on 'seq'"):
            model(inputs[0], zoo_arrays(folder, "input", "_b3_s40")[1])


def test_inputs_disagreeing_on_the_batch(cache_dir):
    folder = DYNAMIC / "distmult"
    model = kiln.compile(folder / "model.onnx", cache_dir=cache_dir)
    head, relation, tail = zoo_arrays(folder, "input", "_b3")
    with pytest.raises(ValueError, match="triples"):
        model(head, relation, tail[:2])


def test_range_of_the_open_dim(cache_dir):
    folder = DYNAMIC / "resnet_block"
    model = kiln.compile(folder / "model.onnx", shapes={"batch": range(1, 5)},
                         backend="llvm", cache_dir=cache_dir)
    (x,) = zoo_arrays(folder, "input", "_b3")
    (expected,) = zoo_arrays(folder, "output", "_b3")
    assert mismatch(model(x), expected, RTOL, ATOL) is None
    (big,) = zoo_arrays(folder, "input", "_b16")
    with pytest.raises(ValueError, match="batch"):
        model(big)
