"""Rewriting a serialized onnx.ModelProto without the onnx package: only
what the conformance runner needs, making the graph's input and output dims
unknown."""

from .tensorproto import encode_varint, fields, payload

# Field numbers of onnx.proto.
MODEL_GRAPH = 7
GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT = 5, 11, 12
TENSOR_NAME = 8
VALUE_INFO_NAME, VALUE_INFO_TYPE = 1, 2
TYPE_TENSOR = 1
TENSOR_TYPE_SHAPE = 2
SHAPE_DIM = 1
DIM_VALUE, DIM_PARAM = 1, 2


def encode(entries):
    """A message from (field, wire type, raw value) entries."""
    out = bytearray()
    for field, wire, raw in entries:
        out += encode_varint(field << 3 | wire) + raw
    return bytes(out)


def delimited(body):
    return encode_varint(len(body)) + body


def rewrite(data, path, change):
    """Applies `change` to every sub-message reached through the field
    numbers of `path`; returns the new message."""
    if not path:
        return change(data)
    entries = []
    for field, wire, raw in fields(data):
        if field == path[0] and wire == 2:
            raw = delimited(rewrite(payload(raw), path[1:], change))
        entries.append((field, wire, raw))
    return encode(entries)


def unknown_dims(shape):
    """A TensorShapeProto whose dims keep their count but lose their value
    and name."""
    return encode([(field, wire, delimited(b"") if field == SHAPE_DIM else raw)
                   for field, wire, raw in fields(shape)])


def open_all_dims(model):
    """The model with every dim of its graph inputs (those no initializer
    gives) and outputs unknown, as onnx-mlir's backend tests run them with
    dynamic dims."""
    graph_entries = [e for e in fields(model) if e[0] == MODEL_GRAPH]
    if not graph_entries:
        raise ValueError("the model has no graph")
    initialized = set()
    for field, wire, raw in fields(payload(graph_entries[0][2])):
        if field == GRAPH_INITIALIZER:
            for f, _, r in fields(payload(raw)):
                if f == TENSOR_NAME:
                    initialized.add(payload(r).decode())

    def value_info(message):
        for f, _, r in fields(message):
            if f == VALUE_INFO_NAME and payload(r).decode() in initialized:
                return message
        return rewrite(message, [VALUE_INFO_TYPE, TYPE_TENSOR,
                                 TENSOR_TYPE_SHAPE], unknown_dims)

    def graph(message):
        entries = []
        for field, wire, raw in fields(message):
            if field in (GRAPH_INPUT, GRAPH_OUTPUT) and wire == 2:
                raw = delimited(value_info(payload(raw)))
            entries.append((field, wire, raw))
        return encode(entries)

    return rewrite(model, [MODEL_GRAPH], graph)
