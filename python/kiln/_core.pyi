"""Kiln's compiler and model loader; the kiln package is the API."""

from typing import Any, List, Optional, Sequence, Tuple


# Arrays are any objects with a C-contiguous buffer (NumPy arrays).
# (name, ONNX data type code, dims with -1 on the open dim, bytes of one sample)
RawTensorInfo = Tuple[str, int, Tuple[int, ...], int]

class Library:
    """A library built by kilnc --emit=lib, loaded, with its model created."""

    def __init__(self, path: str, threads: int = 0) -> None: ...
    @property
    def inputs(self) -> List[RawTensorInfo]: ...
    @property
    def outputs(self) -> List[RawTensorInfo]: ...
    @property
    def symbol(self) -> Optional[str]: ...
    def output_shapes(self, dims: Sequence[Sequence[int]]) -> List[Tuple[int, ...]]: ...
    def run(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> None: ...
    def profile(
        self, inputs: Sequence[Any], outputs: Sequence[Any], runs: int
    ) -> Tuple[float, List[Tuple[str, str, int, float]]]: ...
    def time_runs(self, inputs: Sequence[Any], outputs: Sequence[Any], runs: int) -> float: ...
    def set_threads(self, threads: int) -> None: ...

def compile(
    model: str,
    output: str,
    backend: str,
    weights: str,
    target_cpu: str,
    runtime_dir: str,
    fuse: bool,
    open_batch: bool,
    block_samples: int,
    dnnl_min_work: int,
    shapes: Sequence[str],
    binds: Sequence[str],
) -> Tuple[bool, List[Tuple[str, str, str]]]: ...
