"""Every bad input gets an exception that says what is wrong; none crashes
the interpreter."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import kiln

from conftest import MODELS, zoo_arrays


@pytest.fixture(scope="module")
def distmult(cache_dir):
    return kiln.compile(MODELS / "distmult" / "model.onnx", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def cnn(cache_dir):
    return kiln.compile(MODELS / "mnist_cnn" / "model.onnx", cache_dir=cache_dir)


def test_wrong_count(distmult):
    head, relation, tail = zoo_arrays(MODELS / "distmult", "input")
    with pytest.raises(TypeError, match="takes 3 inputs.*got 2"):
        distmult(head, relation)
    with pytest.raises(TypeError, match="missing input"):
        distmult(head, relation=relation)
    with pytest.raises(TypeError, match="no input 'nope'"):
        distmult(head, relation, tail, nope=tail)
    with pytest.raises(TypeError, match="given twice"):
        distmult(head, relation, tail, **{distmult.inputs[0].name: head})
    with pytest.raises(TypeError, match="dict"):
        distmult.run([head, relation, tail])


def test_wrong_dtype(distmult, cnn):
    head, relation, tail = zoo_arrays(MODELS / "distmult", "input")
    name = distmult.inputs[0].name
    with pytest.raises(TypeError, match=f"'{name}'.*expected int64, got float"):
        distmult(head.astype(np.float32), relation, tail)
    (x,) = zoo_arrays(MODELS / "mnist_cnn", "input")
    with pytest.raises(TypeError, match="expected float32 values"):
        cnn(x.astype(str))
    with pytest.raises(TypeError, match="expected float32 values"):
        cnn(np.array([object()] * x.size, dtype=object).reshape(x.shape))
    with pytest.raises(TypeError, match="expected float32 values"):
        cnn(x.astype(np.complex64))


def test_conversions_that_keep_the_kind(distmult, cnn):
    (x,) = zoo_arrays(MODELS / "mnist_cnn", "input")
    # The first runs choose the model's oneDNN variants by timing them,
    # then whether whole runs go faster on one thread; from then on its
    # runs repeat bit for bit.
    for _ in range(200):
        cnn(x)
    expected = cnn(x)
    # float64, a list, a Fortran-ordered and a strided array all convert.
    np.testing.assert_array_equal(cnn(x.astype(np.float64)), expected)
    np.testing.assert_array_equal(cnn(x.tolist()), expected)
    np.testing.assert_array_equal(cnn(np.asfortranarray(x)), expected)
    doubled = np.repeat(x, 2, axis=-1)[..., ::2]
    assert not doubled.flags.c_contiguous
    np.testing.assert_array_equal(cnn(doubled), expected)
    head, relation, tail = zoo_arrays(MODELS / "distmult", "input")
    np.testing.assert_array_equal(distmult(head.astype(np.int32), relation, tail),
                                  distmult(head, relation, tail))


def test_wrong_rank_and_shape(cnn, distmult):
    (x,) = zoo_arrays(MODELS / "mnist_cnn", "input")
    name = cnn.inputs[0].name
    with pytest.raises(ValueError, match=f"'{name}'.*expected rank {x.ndim}"):
        cnn(x[0])
    with pytest.raises(ValueError, match=f"'{name}'.*dim 3 must be {x.shape[3]}"):
        cnn(x[..., 1:])
    with pytest.raises(ValueError, match="dim 0"):
        cnn(np.concatenate([x, x]))
    head, relation, tail = zoo_arrays(MODELS / "distmult", "input")
    with pytest.raises(ValueError, match="rank"):
        distmult(head[:, None], relation, tail)


def test_bad_compile_arguments():
    path = MODELS / "mnist_cnn" / "model.onnx"
    with pytest.raises(FileNotFoundError):
        kiln.compile(MODELS / "no-such-model.onnx")
    with pytest.raises(ValueError, match="backend"):
        kiln.compile(path, backend="gpu")
    with pytest.raises(ValueError, match="weights"):
        kiln.compile(path, weights="elsewhere")
    with pytest.raises(ValueError, match="threads"):
        kiln.compile(path, threads=-2)
    with pytest.raises(ValueError, match="threads"):
        kiln.compile(path, threads=100000)
    with pytest.raises(ValueError, match="block_samples"):
        kiln.compile(path, block_samples=10**6)
    with pytest.raises(TypeError, match="shapes"):
        kiln.compile(path, shapes={"x": 1.5})
    with pytest.raises(ValueError, match="shapes"):
        kiln.compile(path, shapes={"x": (1, -3)})
    with pytest.raises(TypeError, match="model path"):
        kiln.compile(42)
    with pytest.raises(TypeError, match="binds"):
        kiln.compile(path, binds={"x": 3})


def test_compile_error_names_model_node_and_op(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="first"),
         helper.make_node("NoSuchOperator", ["r"], ["y"], name="mystery")],
        "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    path = tmp_path / "unsupported.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(kiln.CompileError) as caught:
        kiln.compile(path)
    error = caught.value
    assert error.model == str(path)
    assert error.node == "mystery"
    assert error.op == "NoSuchOperator"
    assert "NoSuchOperator" in error.message
    assert str(error).startswith(f"{path}:mystery (NoSuchOperator): error: ")


def test_compile_error_of_malformed_files(tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07\xff\xff\xff\xff not a model")
    with pytest.raises(kiln.CompileError) as caught:
        kiln.compile(garbage)
    assert caught.value.model == str(garbage)
    for name, data in [("empty.keras", b""), ("bad.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 64),
                       ("model.txt", b"hello")]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(kiln.CompileError):
            kiln.compile(path)
    with pytest.raises(kiln.CompileError, match="malformed --shape"):
        kiln.compile(MODELS / "mnist_cnn" / "model.onnx", shapes={"x": "1x?"})
    with pytest.raises(kiln.CompileError, match="'nope', which is neither an input"):
        kiln.compile(MODELS / "mnist_cnn" / "model.onnx", shapes={"nope": (1, 2)})
    # Truncated protobuf bytes in memory.
    data = (MODELS / "mnist_cnn" / "model.onnx").read_bytes()
    with pytest.raises(kiln.CompileError):
        kiln.compile(data[: len(data) // 2])


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        kiln.load(tmp_path / "missing.so")
    junk = tmp_path / "junk.so"
    junk.write_bytes(b"\x7fELF junk")
    with pytest.raises(RuntimeError, match="cannot load"):
        kiln.load(junk)
    # A real shared library that is no model.
    import kiln._core as core
    with pytest.raises(RuntimeError, match="not a model compiled by"):
        kiln.load(core.__file__)
