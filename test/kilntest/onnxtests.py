"""Shared helpers for running kilnc over ONNX's backend test data."""

import os
import re

from kilntest import tensorproto


def models(root, suite):
    """(name, model path) of every test in a suite folder."""
    folder = os.path.join(root, suite)
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and os.path.exists(os.path.join(path, "model.onnx")):
            yield name, os.path.join(path, "model.onnx")
        elif name.endswith(".onnx"):
            yield name[:-len(".onnx")], path


def data_sets(model):
    return sorted(
        os.path.join(os.path.dirname(model), d)
        for d in os.listdir(os.path.dirname(model)) if d.startswith("test_data_set_"))


def numbered(folder, prefix):
    files = [f for f in os.listdir(folder) if f.startswith(prefix) and f.endswith(".pb")]
    return [os.path.join(folder, f)
            for f in sorted(files, key=lambda f: int(re.findall(r"\d+", f)[-1]))]


def test_inputs(model):
    """Name -> (path, dims) of each input of the first data set."""
    inputs = {}
    sets = data_sets(model)
    if sets:
        for path in numbered(sets[0], "input_"):
            name, dims = tensorproto.name_and_dims(path)
            if name:
                inputs[name] = (path, dims)
    return inputs


def unsupported_reason(stderr):
    """The reason of an "unsupported: ..." error, or None."""
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    match = re.search(r"error: unsupported: (.*)", first)
    return match.group(1) if match else None


def group_reason(reason):
    """A reason without the details of one model, for grouping."""
    reason = re.sub(r"input '[^']*' \(value '[^']*'\)", "an input", reason)
    reason = re.sub(r"graph input '[^']*'", "a graph input", reason)
    reason = re.sub(r"\('tensor<[^>]*>'\)", "", reason)
    return reason.split("; bind")[0]
