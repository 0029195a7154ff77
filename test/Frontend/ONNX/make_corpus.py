"""Writes malformed ONNX models (binary protobuf) for the importer's error tests.

usage: make_corpus.py OUTDIR

The models are encoded here by hand, field by field, so that each one can be
wrong in exactly one way; nothing needs the onnx Python package.
"""

import os
import struct
import sys

from kilntest.tensorproto import encode_varint as varint


def field(number, wire, payload):
    return varint((number << 3) | wire) + payload


def vint(number, value):
    return field(number, 0, varint(value))


def blob(number, data):
    if isinstance(data, str):
        data = data.encode()
    return field(number, 2, varint(len(data)) + data)


FLOAT, INT64, UNDEFINED = 1, 7, 0
# AttributeProto.type codes.
ATTR_FLOAT, ATTR_INT, ATTR_STRING, ATTR_INTS = 1, 2, 3, 7


def attr_int(name, value):
    return blob(5, blob(1, name) + vint(3, value) + vint(20, ATTR_INT))


def attr_ints(name, values):
    return blob(5, blob(1, name) + b"".join(vint(8, v) for v in values)
                + vint(20, ATTR_INTS))


def attr_float(name, value):
    return blob(5, blob(1, name) + field(2, 5, struct.pack("<f", value))
                + vint(20, ATTR_FLOAT))


def tensor(name, dims, data_type=FLOAT, floats=None, raw=None, external=None):
    out = b"".join(vint(1, d) for d in dims) + vint(2, data_type) + blob(8, name)
    if floats is not None:
        out += blob(4, b"".join(struct.pack("<f", f) for f in floats))
    if raw is not None:
        out += blob(9, raw)
    if external is not None:
        for key, value in external.items():
            out += blob(13, blob(1, key) + blob(2, value))
        out += vint(14, 1)  # data_location = EXTERNAL
    return out


def value_info(name, dims, data_type=FLOAT):
    shape = b"".join(blob(1, vint(1, d)) for d in dims)
    return blob(1, name) + blob(2, blob(1, vint(1, data_type) + blob(2, shape)))


def node(op_type, inputs, outputs, name="", attributes=b""):
    return (b"".join(blob(1, i) for i in inputs)
            + b"".join(blob(2, o) for o in outputs)
            + blob(3, name) + blob(4, op_type) + attributes)


def graph(nodes, inputs, outputs, initializers=()):
    return (b"".join(blob(1, n) for n in nodes) + blob(2, "g")
            + b"".join(blob(5, t) for t in initializers)
            + b"".join(blob(11, v) for v in inputs)
            + b"".join(blob(12, v) for v in outputs))


def model(graph_bytes, opset=17):
    return vint(1, 8) + blob(8, vint(2, opset)) + blob(7, graph_bytes)


def add_model(initializer):
    """Y = X + W, with W the given initializer of 4 floats."""
    return model(graph([node("Add", ["X", "W"], ["Y"], "add")],
                       [value_info("X", [4])], [value_info("Y", [4])],
                       [initializer]))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    valid = add_model(tensor("W", [4], floats=[1, 2, 3, 4]))
    write("valid.onnx", valid)
    write("not-protobuf.onnx", b"this is not a model, just text\n")
    write("empty.onnx", b"")
    write("truncated.onnx", valid[:-7])
    # A graph field whose length claims 2 GiB.
    write("huge-length.onnx", vint(1, 8) + field(7, 2, varint(2 ** 31)) + b"\0" * 16)
    # Graphs nested in attributes, deeper than protobuf's recursion limit.
    nested = graph([], [], [])
    for _ in range(200):
        attribute = blob(1, "body") + blob(6, nested) + vint(20, 5)
        nested = graph([node("If", ["c"], ["y"], attributes=blob(5, attribute))],
                       [], [])
    write("deep-nesting.onnx", model(nested))
    write("overflowing-dims.onnx",
          add_model(tensor("W", [2 ** 40, 2 ** 40], raw=b"")))
    write("negative-dim.onnx", add_model(tensor("W", [-4], raw=b"")))
    write("raw-short.onnx", add_model(tensor("W", [4], raw=b"\0" * 12)))
    write("raw-long.onnx", add_model(tensor("W", [4], raw=b"\0" * 20)))
    write("undefined-dtype.onnx",
          add_model(tensor("W", [4], data_type=UNDEFINED, raw=b"\0" * 16)))
    write("no-opset.onnx", vint(1, 8) + blob(7, graph(
        [node("Relu", ["X"], ["Y"])], [value_info("X", [4])],
        [value_info("Y", [4])])))
    write("negative-input-dim.onnx", model(graph(
        [node("Relu", ["X"], ["Y"])], [value_info("X", [-3])],
        [value_info("Y", [3])])))

    # Graph structure, each wrong in one way.
    x4 = [value_info("X", [4])]
    y4 = [value_info("Y", [4])]
    write("cycle.onnx", model(graph(
        [node("Add", ["X", "B"], ["A"], "a"), node("Relu", ["A"], ["B"], "b"),
         node("Relu", ["A"], ["Y"], "c")], x4, y4)))
    write("undefined-input.onnx", model(graph(
        [node("Add", ["X", "Z"], ["Y"], "add")], x4, y4)))
    write("defined-twice.onnx", model(graph(
        [node("Relu", ["X"], ["Y"], "first"), node("Neg", ["X"], ["Y"], "second")],
        x4, y4)))
    write("initializer-twice.onnx", model(graph(
        [node("Add", ["X", "W"], ["Y"], "add")], x4, y4,
        [tensor("W", [4], floats=[1, 2, 3, 4]),
         tensor("W", [4], floats=[5, 6, 7, 8])])))
    write("output-never-produced.onnx", model(graph(
        [node("Relu", ["X"], ["Y"], "relu")], x4, [value_info("Q", [4])])))
    write("unknown-op.onnx", model(graph(
        [node("FrobnicateAll", ["X"], ["Y"], "frob")], x4, y4)))
    write("unknown-domain.onnx", model(graph(
        [node("Relu", ["X"], ["Y"], "relu") + blob(7, "com.example")], x4, y4)))
    write("unknown-opset.onnx", model(graph(
        [node("Relu", ["X"], ["Y"], "relu")], x4, y4), opset=99))
    write("op-too-new.onnx", model(graph(
        [node("Gelu", ["X"], ["Y"], "gelu")], x4, y4), opset=17))
    x23 = [value_info("X", [2, 3])]
    y23 = [value_info("Y", [2, 3])]
    write("wrong-attribute-type.onnx", model(graph(
        [node("Softmax", ["X"], ["Y"], "softmax", attr_float("axis", 1.0))],
        x23, y23)))
    write("axis-out-of-range.onnx", model(graph(
        [node("Softmax", ["X"], ["Y"], "softmax", attr_int("axis", 2))],
        x23, y23)))
    image = [value_info("X", [1, 3, 8, 8])]
    pooled = [value_info("Y", [1, 3, 4, 4])]
    write("kernel-length.onnx", model(graph(
        [node("MaxPool", ["X"], ["Y"], "pool", attr_ints("kernel_shape", [2, 2, 2])
              + attr_ints("strides", [2, 2]))], image, pooled)))
    conv_w = tensor("W", [4, 3, 3, 3], raw=b"\0" * 4 * 108)
    conv_out = [value_info("Y", [1, 4, 6, 6])]
    write("pads-length.onnx", model(graph(
        [node("Conv", ["X", "W"], ["Y"], "conv", attr_ints("pads", [1, 1]))],
        image, conv_out, [conv_w])))
    write("zero-stride.onnx", model(graph(
        [node("Conv", ["X", "W"], ["Y"], "conv", attr_ints("strides", [0, 1]))],
        image, conv_out, [conv_w])))
    write("matmul-inner.onnx", model(graph(
        [node("MatMul", ["X", "W"], ["Y"], "matmul")], x23,
        [value_info("Y", [2, 5])], [tensor("W", [4, 5], raw=b"\0" * 80)])))
    write("declared-output-shape.onnx", model(graph(
        [node("Relu", ["X"], ["Y"], "relu")], x23, [value_info("Y", [3, 2])])))
    write("huge-input.onnx", model(graph(
        [node("Relu", ["X"], ["Y"], "relu")],
        [value_info("X", [2 ** 31, 2 ** 31, 2 ** 31])],
        [value_info("Y", [2 ** 31, 2 ** 31, 2 ** 31])])))

    # A model whose Reshape target is a graph input, for --bind.
    write("reshape-input.onnx", model(graph(
        [node("Reshape", ["X", "S"], ["Y"], "reshape")],
        [value_info("X", [2, 3]), value_info("S", [2], INT64)],
        [value_info("Y", [3, 2])])))
    write("shape-3x2.pb", vint(1, 2) + vint(2, INT64) + blob(8, "S")
          + blob(7, varint(3) + varint(2)))
    write("floats.pb", tensor("S", [2], floats=[3, 2]))

    # External data: 16 bytes of weights beside the model, and ways to
    # reach other files.
    write("weights.bin", struct.pack("<4f", 1, 2, 3, 4))
    write("short.bin", b"\0" * 8)
    write("hardsrc.bin", struct.pack("<4f", 1, 2, 3, 4))
    for name in ("link.bin", "hard.bin", "pipe.bin"):
        if os.path.lexists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    os.symlink("weights.bin", os.path.join(out, "link.bin"))
    os.link(os.path.join(out, "hardsrc.bin"), os.path.join(out, "hard.bin"))
    os.mkfifo(os.path.join(out, "pipe.bin"))
    os.makedirs(os.path.join(out, "sub"), exist_ok=True)
    external = {
        "external-ok": {"location": "weights.bin"},
        "external-absolute": {"location": "/etc/passwd"},
        "external-dotdot": {"location": "sub/../../weights.bin"},
        "external-symlink": {"location": "link.bin"},
        "external-hardlink": {"location": "hard.bin"},
        "external-fifo": {"location": "pipe.bin"},
        "external-directory": {"location": "sub"},
        "external-missing": {"location": "nothing.bin"},
        "external-negative-offset": {"location": "weights.bin", "offset": "-4"},
        "external-offset-past-end": {"location": "weights.bin", "offset": "8"},
        "external-length-mismatch": {"location": "weights.bin", "length": "12"},
        "external-short-file": {"location": "short.bin"},
    }
    for name, entries in external.items():
        write(name + ".onnx", add_model(tensor("W", [4], external=entries)))


if __name__ == "__main__":
    main()
