"""Kiln: an ahead-of-time compiler for deep-learning models on the CPU.

Compile a model and run it on NumPy arrays::

    import kiln
    model = kiln.compile("model.onnx")          # or .keras, .h5, .onnxtxt,
                                                # .mlir, an onnx.ModelProto
    probabilities = model(images)               # one output: an array
    outputs = model.run({"input": images})      # {output name: array}
    print(model.inputs, model.outputs)
    print(model.profile(images))                # time per op

``kiln.load("libmodel.so")`` opens a library built by ``kilnc --emit=lib``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "Diagnostic",
    "Model",
    "OpTime",
    "Profile",
    "TensorInfo",
    "compile",
    "load",
    "__version__",
]

# ONNX TensorProto data type codes, as the C API reports them, and the
# NumPy types that carry them. bfloat16 has no NumPy type: it is given and
# returned as float32.
_BFLOAT16 = 16
_DTYPES = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    4: np.dtype(np.uint16),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    9: np.dtype(np.bool_),
    10: np.dtype(np.float16),
    11: np.dtype(np.float64),
    12: np.dtype(np.uint32),
    13: np.dtype(np.uint64),
    _BFLOAT16: np.dtype(np.float32),
}

_PACKAGE_DIR = Path(__file__).resolve().parent
# libkiln_runtime.a and its siblings, which compiled models link with.
_RUNTIME_DIR = _PACKAGE_DIR / "lib"

Dim = Union[int, str]


class CompileError(Exception):
    """A model that Kiln cannot compile.

    ``str(error)`` reads as kilnc's messages do
    (``model.onnx:conv1 (Conv): error: ...``). ``message`` is the first
    error's text, ``model``, ``node`` and ``op`` where it points (None when
    it points nowhere in the model), and ``diagnostics`` every message with
    its notes.
    """

    def __init__(self, diagnostics: Sequence["Diagnostic"]):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0] if errors else None
        self.message = first.text if first else "compilation failed"
        self.model = first.model if first else None
        self.node = first.node if first else None
        self.op = first.op if first else None
        text = "\n".join(str(d) for d in self.diagnostics) or self.message
        super().__init__(text)


_NODE_LOCATION = re.compile(r"^(?P<model>.*?):(?P<node>.*) \((?P<op>[^()]*)\)$")
_LINE_LOCATION = re.compile(r"^(?P<model>.*?):\d+:\d+$")


@dataclass(frozen=True)
class Diagnostic:
    """One message of the compiler: its severity ("error", "warning",
    "note", "remark"), where it points and what it says."""

    severity: str
    location: str
    text: str

    @property
    def model(self) -> Optional[str]:
        """The model file the message points into."""
        match = _NODE_LOCATION.match(self.location) or _LINE_LOCATION.match(
            self.location
        )
        if match:
            return match.group("model")
        return self.location or None

    @property
    def node(self) -> Optional[str]:
        """The node (ONNX) or layer (Keras) the message points at."""
        match = _NODE_LOCATION.match(self.location)
        return match.group("node") if match else None

    @property
    def op(self) -> Optional[str]:
        """The node's operator or the layer's class."""
        match = _NODE_LOCATION.match(self.location)
        return match.group("op") if match else None

    def __str__(self) -> str:
        if not self.location:
            return f"kiln: {self.text}"
        return f"{self.location}: {self.severity}: {self.text}"


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: its name, NumPy dtype and shape.

    A dim that varies at run time is given by its name (``"batch"``), or
    as ``"3*batch"`` when every sample holds 3 along it.
    """

    name: str
    dtype: np.dtype
    shape: Tuple[Dim, ...]

    def __repr__(self) -> str:
        dims = ", ".join(str(d) for d in self.shape)
        return f"TensorInfo(name={self.name!r}, dtype={self.dtype.name}, shape=[{dims}])"


@dataclass(frozen=True)
class OpTime:
    """One op of a profile: its node, its kind, how many times it ran over
    the profile's runs and its mean time per run, in microseconds."""

    node: str
    op: str
    calls: int
    us: float


@dataclass(frozen=True)
class Profile:
    """What Model.profile measured: the mean time of a run and each op's
    share of it, the slowest op first."""

    run_us: float
    ops: Tuple[OpTime, ...]

    def __str__(self) -> str:
        lines = [f"{self.run_us:.1f} us per run, {sum(o.us for o in self.ops):.1f} us in ops"]
        lines.append(f"{'us/run':>10} {'%':>6}  {'op':<16} node")
        for o in self.ops:
            share = 100.0 * o.us / self.run_us if self.run_us > 0 else 0.0
            lines.append(f"{o.us:10.1f} {share:6.1f}  {o.op:<16} {o.node}")
        return "\n".join(lines)


# The most threads a run takes (KILN_MAX_THREADS in KilnModel.h).
_MAX_THREADS = _core.MAX_THREADS


def _check_threads(threads: Any, allow_none: bool = True) -> None:
    """Raises ValueError unless threads is a count from 0 to _MAX_THREADS
    (or None, when allowed)."""
    if threads is None and allow_none:
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or not 0 <= threads <= _MAX_THREADS:
        raise ValueError(f"kiln: threads must be an int from 0 to {_MAX_THREADS}, got {threads!r}")


class _Tensor:
    """What the run path needs to know of an input or output."""

    __slots__ = ("info", "index", "dtype", "code", "dims", "sample_bytes", "axis", "extent",
                 "seq_axis", "seq_entries")

    def __init__(
        self,
        index: int,
        raw: Tuple[str, int, Tuple[int, ...], int],
        symbol: Optional[str],
        sequence: Tuple[int, int] = (-1, 1),
        sequence_symbol: Optional[str] = None,
    ):
        name, code, dims, sample_bytes = raw
        self.index = index
        self.code = code
        self.dtype = _DTYPES.get(code)
        if self.dtype is None:
            raise RuntimeError(f"kiln: {name} has ONNX data type {code}, which NumPy cannot hold")
        self.dims = tuple(dims)
        self.sample_bytes = sample_bytes
        # The axis of the sequence's positions (a second open dim) and the
        # entries each takes along it.
        self.seq_axis, self.seq_entries = sequence
        # The axis of the open dim and how much of it one sample holds.
        open_axes = [a for a, d in enumerate(self.dims) if d == -1 and a != self.seq_axis]
        self.axis = open_axes[0] if open_axes else -1
        self.extent = 1
        shape: List[Dim] = list(self.dims)
        if self.axis >= 0:
            itemsize = 2 if code == _BFLOAT16 else self.dtype.itemsize
            others = 1
            for d in self.dims:
                if d != -1:
                    others *= d
            self.extent = sample_bytes // (itemsize * others) if others else 1
            if self.seq_axis >= 0:
                self.extent //= self.seq_entries
            shape[self.axis] = symbol if self.extent == 1 else f"{self.extent}*{symbol}"
        if self.seq_axis >= 0:
            shape[self.seq_axis] = (
                sequence_symbol if self.seq_entries == 1 else f"{self.seq_entries}*{sequence_symbol}"
            )
        self.info = TensorInfo(name, self.dtype, tuple(shape))

    def describe(self) -> str:
        dims = ", ".join(str(d) for d in self.info.shape)
        return f"'{self.info.name}' ({self.dtype.name} [{dims}])"


def _to_bfloat16(array: np.ndarray) -> np.ndarray:
    """float32 to the bits of bfloat16, rounded to nearest even."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    rounded = bits + (np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1)))
    # NaN stays NaN (quiet).
    rounded = np.where(np.isnan(array), np.uint32(0x7FC00000), rounded)
    return (rounded >> np.uint32(16)).astype(np.uint16)


def _from_bfloat16(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


class Model:
    """A compiled model, loaded and ready to run.

    Call it with the inputs in order (or by name), ``model(x, y)``, to get
    its output, or a tuple of them when it has several; ``model.run({name:
    array})`` returns ``{output name: array}``. Inputs may be any
    array-like: a C-contiguous array of the input's dtype is passed without
    a copy, others are converted when NumPy can do so within the kind
    (float64 to float32, say); a wrong count, dtype, rank or shape raises
    TypeError or ValueError naming the input. One model may be called from
    several Python threads at once: runs release the GIL.
    """

    def __init__(self, library: Union[str, os.PathLike], *, threads: Optional[int] = None):
        path = Path(library)
        if not path.is_file():
            raise FileNotFoundError(f"kiln: no model library at {path}")
        _check_threads(threads)
        # The model is created for its team: its oneDNN primitives are made
        # for that many threads and their variants chosen by timing it.
        self._lib = _core.Library(str(path), threads or 0)
        self._path = path
        self._symbol: Optional[str] = self._lib.symbol
        self._sequence: Optional[str] = self._lib.sequence_symbol
        in_axes, out_axes = self._lib.sequence_axes
        self._inputs = [
            _Tensor(i, raw, self._symbol, in_axes[i], self._sequence) for i, raw in enumerate(self._lib.inputs)
        ]
        self._outputs = [
            _Tensor(i, raw, self._symbol, out_axes[i], self._sequence) for i, raw in enumerate(self._lib.outputs)
        ]
        self._by_name = {t.info.name: t for t in self._inputs}
        self._fixed = self._symbol is None
        self._bfloat16 = any(t.code == _BFLOAT16 for t in self._inputs + self._outputs)
        self._out_shapes = [t.dims for t in self._outputs] if self._fixed else None
        self._threads = threads or 0

    # -- what the model takes and gives ---------------------------------

    @property
    def inputs(self) -> Tuple[TensorInfo, ...]:
        """The inputs, in the order calls take them."""
        return tuple(t.info for t in self._inputs)

    @property
    def outputs(self) -> Tuple[TensorInfo, ...]:
        """The outputs, in the order calls return them."""
        return tuple(t.info for t in self._outputs)

    @property
    def dim_symbol(self) -> Optional[str]:
        """The name of the dim that varies at run time (None: fixed shapes)."""
        return self._symbol

    @property
    def sequence_symbol(self) -> Optional[str]:
        """The name of the sequence length that varies at run time too (a
        second open dim), or None."""
        return self._sequence

    @property
    def path(self) -> Path:
        """The shared library the model was loaded from."""
        return self._path

    @property
    def threads(self) -> int:
        """The threads a run uses (0: OMP_NUM_THREADS or one per core)."""
        return self._threads

    @threads.setter
    def threads(self, value: int) -> None:
        _check_threads(value, allow_none=False)
        self._lib.set_threads(value)
        self._threads = value

    def __repr__(self) -> str:
        ins = ", ".join(repr(i) for i in self.inputs)
        outs = ", ".join(repr(o) for o in self.outputs)
        return f"<kiln.Model {self._path.name}: ({ins}) -> ({outs})>"

    # -- running -----------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Union[np.ndarray, Tuple[np.ndarray, ...]]:
        """Runs the model: inputs in order (or by name); returns the output,
        or a tuple of the outputs when there are several."""
        outputs = self._run(self._ordered(args, kwargs))
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def run(self, inputs: Mapping[str, Any]) -> Dict[str, np.ndarray]:
        """Runs the model on ``{input name: array}``; returns ``{output
        name: array}``."""
        if not isinstance(inputs, Mapping):
            raise TypeError(
                f"kiln: run takes a dict of input name to array, got {type(inputs).__name__}"
            )
        outputs = self._run(self._ordered((), inputs))
        return {t.info.name: out for t, out in zip(self._outputs, outputs)}

    def profile(self, *args: Any, runs: int = 10, **kwargs: Any) -> Profile:
        """Runs the model ``runs`` times on the inputs with a timer around
        every op; returns the mean time of a run and of each op, the
        slowest op first."""
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise ValueError(f"kiln: runs must be an int of 1 or more, got {runs!r}")
        arrays = self._checked(self._ordered(args, kwargs))
        outputs = self._allocate(arrays)
        run_us, ops = self._lib.profile(arrays, outputs, runs)
        table = sorted((OpTime(*op) for op in ops), key=lambda o: -o.us)
        return Profile(run_us, tuple(table))

    def _ordered(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> List[Any]:
        """The inputs in signature order, from positions and names."""
        count = len(self._inputs)
        if not kwargs:
            if len(args) != count:
                raise TypeError(
                    f"kiln: the model takes {count} input{'s' if count != 1 else ''} "
                    f"({', '.join(t.describe() for t in self._inputs)}), got {len(args)}"
                )
            return list(args)
        if len(args) > count:
            raise TypeError(f"kiln: the model takes {count} inputs, got {len(args)} positional")
        ordered: List[Any] = list(args) + [None] * (count - len(args))
        given = [True] * len(args) + [False] * (count - len(args))
        for name, value in kwargs.items():
            tensor = self._by_name.get(name)
            if tensor is None:
                names = ", ".join(repr(t.info.name) for t in self._inputs)
                raise TypeError(f"kiln: the model has no input {name!r} (its inputs: {names})")
            if given[tensor.index]:
                raise TypeError(f"kiln: input {name!r} is given twice")
            ordered[tensor.index] = value
            given[tensor.index] = True
        missing = [t.info.name for t, g in zip(self._inputs, given) if not g]
        if missing:
            raise TypeError(f"kiln: missing input{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
        return ordered

    def _convert(self, tensor: _Tensor, value: Any) -> np.ndarray:
        """An input as an array the C API takes: of its dtype, C-contiguous,
        aligned, of the right rank and dims."""
        if isinstance(value, np.ndarray):
            array = value
        else:
            try:
                array = np.asarray(value)
            except Exception as error:  # NumPy's own message says why
                raise TypeError(f"kiln: input {tensor.describe()}: cannot make an array of it ({error})") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"kiln: input {tensor.describe()}: expected {tensor.dtype.name} values, "
                f"got an array of {array.dtype}"
            )
        if array.dtype != tensor.dtype:
            if not np.can_cast(array.dtype, tensor.dtype, casting="same_kind"):
                raise TypeError(
                    f"kiln: input {tensor.describe()}: expected {tensor.dtype.name}, "
                    f"got {array.dtype.name}, which does not convert to it without changing kind"
                )
        if array.ndim != len(tensor.dims):
            raise ValueError(
                f"kiln: input {tensor.describe()}: expected rank {len(tensor.dims)}, "
                f"got shape {tuple(array.shape)}"
            )
        for axis, (got, expected) in enumerate(zip(array.shape, tensor.dims)):
            if axis == tensor.seq_axis:
                if got % tensor.seq_entries != 0:
                    raise ValueError(
                        f"kiln: input {tensor.describe()}: dim {axis} must be a multiple of "
                        f"{tensor.seq_entries}, got shape {tuple(array.shape)}"
                    )
            elif expected == -1:
                if got % tensor.extent != 0:
                    raise ValueError(
                        f"kiln: input {tensor.describe()}: dim {axis} must be a multiple of "
                        f"{tensor.extent}, got shape {tuple(array.shape)}"
                    )
            elif got != expected:
                raise ValueError(
                    f"kiln: input {tensor.describe()}: dim {axis} must be {expected}, "
                    f"got shape {tuple(array.shape)}"
                )
        if tensor.code == _BFLOAT16:
            return _to_bfloat16(array)
        if array.dtype != tensor.dtype or not (array.flags.c_contiguous and array.flags.aligned):
            array = np.ascontiguousarray(array, dtype=tensor.dtype)
        return array

    def _checked(self, values: List[Any]) -> List[np.ndarray]:
        arrays = []
        for tensor, value in zip(self._inputs, values):
            # The fast path: an array that needs nothing.
            if (
                type(value) is np.ndarray
                and value.dtype == tensor.dtype
                and value.shape == tensor.dims
                and tensor.code != _BFLOAT16
            ):
                flags = value.flags
                if flags.c_contiguous and flags.aligned:
                    arrays.append(value)
                    continue
            arrays.append(self._convert(tensor, value))
        return arrays

    def _allocate(self, arrays: List[np.ndarray]) -> List[np.ndarray]:
        if self._fixed:
            shapes = self._out_shapes
        else:
            shapes = self._lib.output_shapes([a.shape for a in arrays])
        return [
            np.empty(shape, np.uint16 if t.code == _BFLOAT16 else t.dtype)
            for t, shape in zip(self._outputs, shapes)
        ]

    def _run(self, values: List[Any]) -> List[np.ndarray]:
        arrays = self._checked(values)
        outputs = self._allocate(arrays)
        self._lib.run(arrays, outputs)
        if self._bfloat16:
            outputs = [
                _from_bfloat16(o) if t.code == _BFLOAT16 else o for t, o in zip(self._outputs, outputs)
            ]
        return outputs


# -- compiling -------------------------------------------------------------

def _shape_specs(shapes: Optional[Mapping[str, Any]]) -> List[str]:
    """kilnc's --shape NAME=... from a dict."""
    specs = []
    for name, value in (shapes or {}).items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"kiln: shapes keys must be input or dim names, got {name!r}")
        if isinstance(value, bool):
            raise TypeError(f"kiln: shapes[{name!r}]: expected an int, a shape or a range, got {value!r}")
        if isinstance(value, (int, np.integer)):
            if value < 0:
                raise ValueError(f"kiln: shapes[{name!r}] must be 0 or more, got {value}")
            specs.append(f"{name}={int(value)}")
        elif isinstance(value, range):
            if value.step != 1 or len(value) == 0 or value.start < 0:
                raise ValueError(f"kiln: shapes[{name!r}]: a range must be range(LO, HI + 1) with 0 <= LO <= HI")
            specs.append(f"{name}={value.start}..{value.stop - 1}")
        elif isinstance(value, (tuple, list)):
            if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in value):
                raise ValueError(f"kiln: shapes[{name!r}] must hold dims of 0 or more, got {value!r}")
            specs.append(f"{name}={'x'.join(str(int(d)) for d in value)}" if value else f"{name}=")
        elif isinstance(value, str):
            specs.append(f"{name}={value}")
        else:
            raise TypeError(
                f"kiln: shapes[{name!r}]: expected an int (an open dim), a tuple (an input's shape) "
                f"or a range, got {type(value).__name__}"
            )
    return specs


def _hash_file(digest: "hashlib._Hash", path: Path) -> None:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)


def _cache_key(model_path: Optional[Path], model_bytes: Optional[bytes], options: Tuple[Any, ...]) -> str:
    """What decides a compiled library: the model (and, for an ONNX file,
    the files beside it that may hold its external data), the options and
    this build of Kiln."""
    digest = hashlib.sha256()
    digest.update(repr(options).encode())
    digest.update(__version__.encode())
    # This build of the compiler and of the runtime models link with.
    for part in [Path(_core.__file__)] + sorted(_RUNTIME_DIR.glob("*.a")):
        st = part.stat()
        digest.update(f"{part.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    if model_bytes is not None:
        digest.update(model_bytes)
    else:
        assert model_path is not None
        _hash_file(digest, model_path)
        if model_path.suffix == ".onnx":
            for sibling in sorted(model_path.parent.iterdir()):
                if sibling != model_path and sibling.is_file():
                    st = sibling.stat()
                    digest.update(f"{sibling.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


def compile(
    model: Any,
    *,
    backend: str = "dnnl",
    threads: Optional[int] = None,
    shapes: Optional[Mapping[str, Any]] = None,
    binds: Optional[Mapping[str, Union[str, os.PathLike]]] = None,
    fuse: bool = True,
    weights: str = "embedded",
    open_batch: bool = False,
    block_samples: Optional[int] = None,
    target_cpu: str = "native",
    cache_dir: Optional[Union[str, os.PathLike]] = None,
) -> Model:
    """Compiles a model into a shared library and loads it.

    model: a path (``.onnx``, ``.onnxtxt``, ``.mlir``, ``.keras``, ``.h5``)
        or an ``onnx.ModelProto`` (or its serialized bytes).
    backend: ``"dnnl"`` (oneDNN primitives where they pay, generated code
        elsewhere) or ``"llvm"`` (generated code only).
    threads: the threads each run uses (default: OMP_NUM_THREADS or one per
        core); the model is created for them (its oneDNN primitives, and
        the variants chosen by timing its first runs). ``Model.threads``
        changes the runs' count later.
    shapes: pins input shapes or open dims, as kilnc's ``--shape``:
        ``{"input": (1, 3, 224, 224)}``, ``{"seq": 40}``, or a range of
        the open dim that varies at run time, ``{"batch": range(1, 65)}``.
    binds: ``{"input": "value.pb"}`` makes an input the constant in a
        serialized ``onnx.TensorProto`` (kilnc's ``--bind``).
    fuse: fusion on (default) or off.
    weights: ``"embedded"`` in the library or ``"external"`` in a file
        beside it.
    open_batch: open dim 0 of an ONNX model exported with a fixed batch.
    block_samples: the block of samples a model with an open dim is also
        compiled for (kilnc's ``--block-samples``; None: its default, 16,
        or none for a model whose sequence length varies too).
    target_cpu: the CPU to generate code for (``"native"``: this one).
    cache_dir: where compiled libraries are kept, by a hash of the model
        and the options; a later compile of the same loads it. None: no
        cache.

    Raises CompileError when the model cannot be compiled, FileNotFoundError
    for a missing file, TypeError or ValueError for bad arguments.
    """
    if backend not in ("dnnl", "llvm"):
        raise ValueError(f"kiln: backend must be 'dnnl' or 'llvm', got {backend!r}")
    if weights not in ("embedded", "external"):
        raise ValueError(f"kiln: weights must be 'embedded' or 'external', got {weights!r}")
    if block_samples is not None and (
        isinstance(block_samples, bool) or not isinstance(block_samples, int) or not 0 <= block_samples <= 4096
    ):
        raise ValueError(f"kiln: block_samples must be an int in 0 to 4096, got {block_samples!r}")
    if not isinstance(target_cpu, str) or not target_cpu:
        raise ValueError(f"kiln: target_cpu must be a CPU name, got {target_cpu!r}")
    _check_threads(threads)
    shape_specs = _shape_specs(shapes)
    bind_specs = []
    for name, file in (binds or {}).items():
        if not isinstance(name, str) or not name or not isinstance(file, (str, os.PathLike)):
            raise TypeError(f"kiln: binds must map input names to .pb files, got {name!r}: {file!r}")
        bind_specs.append(f"{name}={os.fspath(Path(file).resolve())}")

    model_path: Optional[Path] = None
    model_bytes: Optional[bytes] = None
    if isinstance(model, (str, os.PathLike)):
        model_path = Path(model).resolve()
        if not model_path.is_file():
            raise FileNotFoundError(f"kiln: no model file at {model}")
    elif isinstance(model, (bytes, bytearray, memoryview)):
        model_bytes = bytes(model)
    elif hasattr(model, "SerializeToString") and hasattr(model, "graph"):
        model_bytes = model.SerializeToString()
    else:
        raise TypeError(
            "kiln: compile takes a model path (.onnx, .onnxtxt, .mlir, .keras, .h5) "
            f"or an onnx.ModelProto, got {type(model).__name__}"
        )

    blocks = -1 if block_samples is None else block_samples
    options = (backend, weights, tuple(shape_specs), tuple(bind_specs), bool(fuse),
               bool(open_batch), blocks, target_cpu)
    cache: Optional[Path] = None
    name = "libmodel.so"
    if cache_dir is not None:
        cache = Path(cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        key = _cache_key(model_path, model_bytes, options)
        name = f"libkiln-{key}.so"
        cached = cache / name
        if cached.is_file():
            return Model(cached, threads=threads)

    work = Path(tempfile.mkdtemp(prefix="kiln-", dir=cache))
    try:
        if model_bytes is not None:
            source = work / "model.onnx"
            source.write_bytes(model_bytes)
        else:
            assert model_path is not None
            source = model_path
        # The library's own name: an external weights file is named after it.
        library = work / name
        ok, messages = _core.compile(
            os.fspath(source), os.fspath(library), backend, weights, target_cpu,
            os.fspath(_RUNTIME_DIR), bool(fuse), bool(open_batch), blocks, -1,
            shape_specs, bind_specs,
        )
        diagnostics = [Diagnostic(*m) for m in messages]
        if not ok:
            raise CompileError(diagnostics)
        for d in diagnostics:
            if d.severity == "warning":
                warnings.warn(str(d), stacklevel=2)
        if cache is None:
            # The library stays mapped once loaded; its files can go.
            return Model(library, threads=threads)
        # Into the cache: the weights first, so that a library found there
        # always has its weights beside it.
        for extra in work.glob("*.weights"):
            os.replace(extra, cache / extra.name)
        os.replace(library, cached)
        return Model(cached, threads=threads)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load(path: Union[str, os.PathLike], *, threads: Optional[int] = None) -> Model:
    """Loads a model library built by ``kilnc --emit=lib``."""
    return Model(path, threads=threads)
