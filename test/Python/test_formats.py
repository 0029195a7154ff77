"""Other ways in: Keras files, an in-memory onnx.ModelProto, a library
built by kilnc --emit=lib."""

import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import kiln
from kilntest.compare import mismatch

from conftest import ATOL, MODELS, RTOL, zoo_arrays


@pytest.mark.parametrize("file", ["model.keras", "model.h5"])
def test_keras_file_matches_keras(file, cache_dir):
    """Keras' own outputs are the reference (rtol 1e-4, as run_keras_zoo)."""
    folder = MODELS / "keras" / "cnn"
    model = kiln.compile(folder / file, cache_dir=cache_dir)
    (x,) = zoo_arrays(folder, "input")
    (expected,) = zoo_arrays(folder, "output")
    assert mismatch(model(x), expected, 1e-4, ATOL) is None


def test_model_proto_in_memory(cache_dir):
    folder = MODELS / "mnist_cnn"
    proto = onnx.load(str(folder / "model.onnx"))
    model = kiln.compile(proto, backend="llvm", cache_dir=cache_dir)
    (x,) = zoo_arrays(folder, "input")
    (expected,) = zoo_arrays(folder, "output")
    assert mismatch(model(x), expected, RTOL, ATOL) is None


def test_model_proto_built_by_hand():
    """A graph made with onnx.helper, against NumPy; no cache."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"], name="product"),
         helper.make_node("Relu", ["xw"], ["y"], name="relu")],
        "hand",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor("w", TensorProto.FLOAT, [3, 4],
                            np.arange(-6, 6, dtype=np.float32).tolist())])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model = kiln.compile(proto)
    x = np.array([[1, -2, 3], [0.5, 0.25, -1]], dtype=np.float32)
    w = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(model(x), np.maximum(x @ w, 0), rtol=1e-6)
    assert model(x=x).shape == (2, 4)
    assert model.inputs[0].name == "x" and model.outputs[0].name == "y"


@pytest.mark.parametrize("backend", ["dnnl", "llvm"])
def test_library_from_kilnc(backend, kilnc, tmp_path):
    folder = MODELS / "transe"
    library = tmp_path / "libtranse.so"
    subprocess.run([kilnc, str(folder / "model.onnx"), "--emit=lib",
                    f"--backend={backend}", "-o", str(library)], check=True)
    model = kiln.load(library)
    assert model.path == library
    inputs = zoo_arrays(folder, "input")
    (expected,) = zoo_arrays(folder, "output")
    assert mismatch(model(*inputs), expected, RTOL, ATOL) is None
    # Made for one thread (kiln_create_threads), then run on two.
    single = kiln.load(library, threads=1)
    assert single.threads == 1
    assert mismatch(single(*inputs), expected, RTOL, ATOL) is None
    single.threads = 2
    assert mismatch(single(*inputs), expected, RTOL, ATOL) is None
    for bad in (-1, True, 1.0):
        with pytest.raises(ValueError, match="threads"):
            kiln.load(library, threads=bad)


def test_external_weights(tmp_path):
    folder = MODELS / "mnist_cnn"
    (x,) = zoo_arrays(folder, "input")
    (expected,) = zoo_arrays(folder, "output")
    # Cached: the weights file stays beside the library.
    model = kiln.compile(folder / "model.onnx", weights="external", cache_dir=tmp_path)
    assert mismatch(model(x), expected, RTOL, ATOL) is None
    assert len(list(tmp_path.glob("*.weights"))) == 1
    again = kiln.compile(folder / "model.onnx", weights="external", cache_dir=tmp_path)
    assert again.path == model.path
    assert mismatch(again(x), expected, RTOL, ATOL) is None
    # Not cached: the files go once the model is loaded.
    assert mismatch(kiln.compile(folder / "model.onnx", weights="external")(x),
                    expected, RTOL, ATOL) is None
