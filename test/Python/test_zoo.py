"""The zoo through kiln.compile on both backends, against PyTorch."""

import numpy as np
import pytest

import kiln
from kilntest.compare import mismatch

from conftest import ATOL, MODELS, RTOL, ZOO, zoo_arrays


@pytest.mark.parametrize("backend", ["dnnl", "llvm"])
@pytest.mark.parametrize("name", ZOO)
def test_zoo_matches_pytorch(name, backend, cache_dir):
    folder = MODELS / name
    model = kiln.compile(folder / "model.onnx", backend=backend, cache_dir=cache_dir)
    inputs = zoo_arrays(folder, "input")
    expected = zoo_arrays(folder, "output")
    assert len(model.inputs) == len(inputs)
    assert len(model.outputs) == len(expected)
    result = model(*inputs)
    actual = list(result) if isinstance(result, tuple) else [result]
    for info, got, want in zip(model.outputs, actual, expected):
        assert isinstance(got, np.ndarray)
        problem = mismatch(got, want, RTOL, ATOL)
        assert problem is None, f"{name} {info.name}: {problem}"
        # The comparison can fail: a reference off by 1% somewhere does.
        if want.size and want.dtype.kind == "f":
            wrong = want.copy()
            flat = wrong.reshape(-1)
            flat[flat.size // 2] += 0.01 * max(1.0, abs(float(flat[flat.size // 2])))
            assert mismatch(got, wrong, RTOL, ATOL) is not None


def test_run_by_name_returns_a_dict(cache_dir):
    folder = MODELS / "conv_vae"
    model = kiln.compile(folder / "model.onnx", cache_dir=cache_dir)
    inputs = zoo_arrays(folder, "input")
    expected = zoo_arrays(folder, "output")
    feeds = {info.name: array for info, array in zip(model.inputs, inputs)}
    results = model.run(feeds)
    assert list(results) == [o.name for o in model.outputs]
    for got, want in zip(results.values(), expected):
        assert mismatch(got, want, RTOL, ATOL) is None
    # Keyword arguments, in any order, give the same.
    reordered = dict(reversed(list(feeds.items())))
    for got, want in zip(model(**reordered), expected):
        assert mismatch(got, want, RTOL, ATOL) is None


def test_signature(cache_dir):
    model = kiln.compile(MODELS / "mnist_cnn" / "model.onnx", cache_dir=cache_dir)
    (image,) = model.inputs
    assert image.dtype == np.float32
    assert image.shape == tuple(np.load(MODELS / "mnist_cnn" / "input_0.npy").shape)
    assert model.dim_symbol is None
    assert "kiln.Model" in repr(model)
