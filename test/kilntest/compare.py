"""Comparing outputs with references within a tolerance."""

import os

import numpy as np


def mismatch(actual, expected, rtol, atol):
    """None when actual matches expected, else what differs.

    ONNX's criterion: equal shapes and element types, and for floats
    |actual - expected| <= atol + rtol * |expected| everywhere, where equal
    values (infinities too) and NaN against NaN match."""
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if actual.dtype != expected.dtype:
        return f"type {actual.dtype}, expected {expected.dtype}"
    if expected.dtype.kind in "fc":
        a, e = actual.astype(np.float64), expected.astype(np.float64)
        with np.errstate(invalid="ignore"):
            ok = (np.abs(a - e) <= atol + rtol * np.abs(e)) | (a == e) | \
                 (np.isnan(a) & np.isnan(e))
    else:
        ok = actual == expected
    if ok.all():
        return None
    return f"{int((~ok).sum())} of {ok.size} elements differ" + (
        f", max error {max_error(actual, expected):.3g}"
        if expected.dtype.kind in "fc" else "")


def max_error(actual, expected):
    """The largest |actual - expected| of float arrays, NaN ignored."""
    if expected.dtype.kind not in "fc" or expected.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):
        error = np.abs(actual.astype(np.float64) - expected)
    return float(np.nanmax(error)) if not np.isnan(error).all() else 0.0


def compare_outputs(pairs, rtol, atol):
    """Compares (name, actual, expected) arrays; "max error E" when all
    match, else what differs first."""
    worst = 0.0
    for name, actual, expected in pairs:
        problem = mismatch(actual, expected, rtol, atol)
        if problem:
            return f"output {name}: {problem}"
        worst = max(worst, max_error(actual, expected))
    return f"max error {worst:.3g}"


def float_model(name, nodes, inputs, outputs, initializers, opset=17):
    """An ONNX ModelProto of float32 tensors: the graph `name` of `nodes`,
    its inputs ({name: array}, for their shapes), its outputs ({name:
    shape}) and its initializers ({name: array})."""
    from onnx import TensorProto, helper, numpy_helper

    def info(name, shape):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                             list(shape))

    graph = helper.make_graph(
        nodes, name, [info(n, v.shape) for n, v in inputs.items()],
        [info(n, shape) for n, shape in outputs.items()],
        [numpy_helper.from_array(v, n) for n, v in initializers.items()])
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", opset)])


def save_case(work, model, inputs, expected):
    """Writes a pipeline test's case for check_saved: WORK/model.onnx (the
    ModelProto `model`), WORK/NAME.npy for each of `inputs` and
    WORK/expected_NAME.npy for each of `expected` ({name: array})."""
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for name, value in inputs.items():
        np.save(os.path.join(work, f"{name}.npy"), value)
    for name, value in expected.items():
        np.save(os.path.join(work, f"expected_{name}.npy"), value)


def check_saved(work, outdir, names, rtol, atol):
    """Compares each OUTDIR/NAME.npy with WORK/expected_NAME.npy, printing
    "NAME: match" or what differs; 1 when any differs, else 0."""
    failures = 0
    for name in names:
        expected = np.load(os.path.join(work, f"expected_{name}.npy"))
        actual = np.load(os.path.join(outdir, f"{name}.npy"))
        problem = mismatch(actual, expected, rtol, atol)
        print(f"{name}: {problem or 'match'}")
        failures += problem is not None
    return 1 if failures else 0


def case_script(argv, case, names, rtol, atol):
    """The command line of a pipeline test's input script whose case comes
    from `case()` ((model, inputs, float64 references)): `make DIR` saves
    it (save_case, the references as float32), `check DIR OUTDIR` compares
    OUTDIR's outputs `names` with them (check_saved); the exit status."""
    if len(argv) == 3 and argv[1] == "make":
        model, inputs, expected = case()
        save_case(argv[2], model, inputs,
                  {n: v.astype(np.float32) for n, v in expected.items()})
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return check_saved(argv[2], argv[3], names, rtol, atol)
    print(f"usage: {argv[0]} make DIR | check DIR OUTDIR")
    return 2
