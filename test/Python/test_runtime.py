"""The cache, threads, profiles and the package's own data."""

import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import kiln
from kilntest.compare import mismatch

from conftest import ATOL, MODELS, ROOT, RTOL, zoo_arrays


def test_cache_reuses_a_compiled_model(tmp_path):
    path = MODELS / "mnist_cnn" / "model.onnx"
    first = kiln.compile(path, cache_dir=tmp_path)
    libraries = sorted(tmp_path.glob("*.so"))
    assert libraries == [first.path]
    mtime = first.path.stat().st_mtime_ns
    second = kiln.compile(path, cache_dir=tmp_path)
    assert second.path == first.path
    assert second.path.stat().st_mtime_ns == mtime
    # Other options, another library.
    third = kiln.compile(path, backend="llvm", cache_dir=tmp_path)
    assert third.path != first.path
    assert len(list(tmp_path.glob("*.so"))) == 2
    (x,) = zoo_arrays(MODELS / "mnist_cnn", "input")
    np.testing.assert_array_equal(first(x), second(x))
    # No temporary folders are left behind.
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]


def test_cache_key_follows_the_model_bytes(tmp_path):
    import onnx
    proto = onnx.load(str(MODELS / "mnist_cnn" / "model.onnx"))
    a = kiln.compile(proto, cache_dir=tmp_path)
    proto.graph.initializer[0].float_data[:] = []
    raw = bytearray(proto.graph.initializer[0].raw_data)
    raw[0] ^= 1
    proto.graph.initializer[0].raw_data = bytes(raw)
    b = kiln.compile(proto, cache_dir=tmp_path)
    assert a.path != b.path


def test_threads_share_one_model(cache_dir):
    """Eight Python threads call one model at once; each gets what a call
    alone gives, up to rounding: oneDNN's Winograd convolutions (this
    block's 3x3 ones) may sum in another order when concurrent runs share
    the cores (measured: at most 9e-8 apart; exact with one thread per
    run), where a run corrupted by another's would be far off."""
    folder = MODELS / "dynamic" / "resnet_block"
    model = kiln.compile(folder / "model.onnx", cache_dir=cache_dir)
    (x16,) = zoo_arrays(folder, "input", "_b16")
    rng = np.random.default_rng(7)
    batches = [x16[rng.integers(0, 16, size=n)] for n in (1, 2, 3, 5, 8, 13, 16, 19)]
    # Once the first runs have chosen the oneDNN variants.
    for _ in range(60):
        for b in batches:
            model(b)
    alone = [model(b) for b in batches]
    errors = []

    def work(i):
        try:
            for _ in range(5):
                got = model(batches[i])
                problem = mismatch(got, alone[i], 1e-6, 1e-6)
                if problem:
                    errors.append(f"thread {i}: {problem}")
        except Exception as error:  # reported below
            errors.append(f"thread {i}: {error!r}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_runs_while_variants_are_timed(cache_dir):
    """A oneDNN model's first runs go through the variants of its
    primitives (the team's, one thread's, split by samples, Winograd or
    direct) to time them, then compare whole runs of the proposals with
    the defaults: every run, whichever variants it took, matches PyTorch."""
    folder = MODELS / "dynamic" / "mnist_cnn"
    model = kiln.compile(folder / "model.onnx", threads=2, cache_dir=cache_dir)
    (x16,) = zoo_arrays(folder, "input", "_b16")
    (expected,) = zoo_arrays(folder, "output", "_b16")
    for run in range(150):
        problem = mismatch(model(x16), expected, RTOL, ATOL)
        assert problem is None, f"run {run}: {problem}"


@pytest.mark.parametrize("threads", [2, 1])
def test_runs_while_channels_last_variants_are_timed(threads):
    """Convolutions with channels-last variants (a strided 4x4 one; a
    strided 3x3 one and a dilated one whose input is added back, a fused
    sum), loaded with two threads or made for one: every run while the
    variants (on the team, on one thread, channels-last or not) are timed
    and after, whichever each took, matches NumPy's float64 reference."""
    from kilntest.channels_last import OUTPUTS, case

    proto, inputs, expected = case()
    model = kiln.compile(proto, threads=threads)
    assert model.threads == threads
    for run in range(120):
        outputs = model(inputs["x"], inputs["y"])
        for name, got in zip(OUTPUTS, outputs):
            problem = mismatch(got, expected[name].astype(np.float32), 1e-4,
                               1e-4)
            assert problem is None, f"run {run}, {name}: {problem}"


def test_runs_release_the_gil(cache_dir):
    """While one call runs the model, another Python thread gets on. A
    thread can take the GIL between calls anyway, so only its progress in
    the middle of one long call counts: without the GIL released there, it
    could not move at all."""
    folder = MODELS / "dynamic" / "resnet_block"
    model = kiln.compile(folder / "model.onnx", threads=1, cache_dir=cache_dir)
    (x16,) = zoo_arrays(folder, "input", "_b16")
    x = np.concatenate([x16] * 256)  # 4096 samples: about 0.2 s
    stop = threading.Event()
    ticks = []

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        start = time.perf_counter()
        model(x)
        end = time.perf_counter()
    finally:
        stop.set()
        counter.join()
    # Away from the edges of the call, where a switch of the GIL (every 5 ms)
    # may let the counter in before the call or after it.
    margin = 0.02
    assert end - start > 3 * margin, f"the call took only {end - start:.3f} s"
    assert any(start + margin < t < end - margin for t in ticks)


def test_threads_setting(cache_dir):
    folder = MODELS / "resnet_block"
    model = kiln.compile(folder / "model.onnx", threads=1, cache_dir=cache_dir)
    assert model.threads == 1
    inputs = zoo_arrays(folder, "input")
    (expected,) = zoo_arrays(folder, "output")
    assert mismatch(model(*inputs), expected, RTOL, ATOL) is None
    model.threads = 2
    assert mismatch(model(*inputs), expected, RTOL, ATOL) is None
    with pytest.raises(ValueError):
        model.threads = -1


def test_profile_names_the_nodes(cache_dir):
    folder = MODELS / "mnist_cnn"
    model = kiln.compile(folder / "model.onnx", cache_dir=cache_dir)
    (x,) = zoo_arrays(folder, "input")
    profile = model.profile(x, runs=3)
    assert profile.run_us > 0
    assert profile.ops, "no op was timed"
    times = [op.us for op in profile.ops]
    assert times == sorted(times, reverse=True)
    assert sum(times) <= profile.run_us * 1.05
    import onnx
    nodes = {n.name for n in onnx.load(str(folder / "model.onnx")).graph.node}
    for op in profile.ops:
        assert op.calls == 3
        # Fused ops are named after one of their nodes.
        assert any(name and name in op.node for name in nodes), op
    assert "us per run" in str(profile)


def test_version_and_docs():
    assert re.fullmatch(r"\d+\.\d+\.\d+", kiln.__version__)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'input = "python/kiln/__init__.py"' in pyproject
    for item in (kiln, kiln.compile, kiln.load, kiln.Model, kiln.Model.run,
                 kiln.Model.profile, kiln.CompileError):
        assert item.__doc__ and len(item.__doc__) > 40
    stubs = Path(kiln.__file__).with_name("_core.pyi")
    assert stubs.is_file() and Path(kiln.__file__).with_name("py.typed").is_file()
