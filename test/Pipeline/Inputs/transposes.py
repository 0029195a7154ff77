"""Transposes the generated code copies in vector tiles or rows, for
transposes.test.

  transposes.py make DIR: writes DIR/model.onnx, its input DIR/x.npy and
      NumPy's transposes DIR/expected_*.npy:
      - "swap": the last two dims of [3, 32, 48] (square tiles of 4, 8
        or 16 lanes, whichever the machine has);
      - "nhwc": [2, 16, 16, 32] to NCHW (the innermost dim moves two
        places; the tiles' rows are 16 x 32 apart);
      - "heads": [16, 3, 64] -> [3, 4, 16, 16] by a reshape merging the
        heads into the batch then a transpose (rows of 16 from a strided
        view);
      - "odd": the last two dims of [5, 7] (no tile fits: loops).
  transposes.py check DIR OUTDIR: compares OUTDIR's outputs with them,
      exactly (a transpose moves values, it computes nothing).
"""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from kilntest import compare

OUTPUTS = ("swap", "nhwc", "heads", "odd")


def make(work):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 32, 48)).astype(np.float32)
    y = rng.standard_normal((2, 16, 16, 32)).astype(np.float32)
    z = rng.standard_normal((16, 3, 64)).astype(np.float32)
    w = rng.standard_normal((5, 7)).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["x"], ["swap"], perm=[0, 2, 1]),
        helper.make_node("Transpose", ["y"], ["nhwc"], perm=[0, 3, 1, 2]),
        # z + 0 keeps the reshape's input a computed tensor.
        helper.make_node("Add", ["z", "zero"], ["z0"]),
        helper.make_node("Reshape", ["z0", "shape"], ["merged"]),
        helper.make_node("Transpose", ["merged"], ["moved"], perm=[1, 0, 2]),
        helper.make_node("Reshape", ["moved", "split"], ["heads"]),
        helper.make_node("Transpose", ["w"], ["odd"], perm=[1, 0]),
    ]
    inits = [
        numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        numpy_helper.from_array(np.array([16, 12, 16], np.int64), "shape"),
        numpy_helper.from_array(np.array([3, 4, 16, 16], np.int64), "split"),
    ]
    expected = {
        "swap": x.transpose(0, 2, 1),
        "nhwc": y.transpose(0, 3, 1, 2),
        "heads": z.reshape(16, 12, 16).transpose(1, 0, 2).reshape(
            3, 4, 16, 16),
        "odd": w.T,
    }
    inputs = {"x": x, "y": y, "z": z, "w": w}
    graph = helper.make_graph(
        nodes, "transposes",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape))
         for n, v in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape))
         for n, v in expected.items()],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    compare.save_case(work, model, inputs, expected)


def check(work, outdir):
    return compare.check_saved(work, outdir, OUTPUTS, 0, 0)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
