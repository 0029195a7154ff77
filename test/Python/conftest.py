"""Shared fixtures of the kiln package's tests.

ctest runs them with the package of the build tree on PYTHONPATH (and
test/ for kilntest), KILN_KILNC naming the build's kilnc."""

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "test" / "models"
ZOO = [
    "attention_encoder", "conv_vae", "dcgan_discriminator", "dcgan_generator",
    "distmult", "gru_classifier", "lstm_tagger", "mha_encoder", "mnist_cnn",
    "resnet_block", "transe",
]
# The zoo's criterion against PyTorch (test/E2E/run_zoo.py).
RTOL, ATOL = 1e-3, 1e-5


def zoo_arrays(folder, prefix, suffix=""):
    """input_0.npy, input_1.npy, ... (or output_*) of a zoo folder."""
    arrays = []
    while (folder / f"{prefix}_{len(arrays)}{suffix}.npy").exists():
        arrays.append(np.load(folder / f"{prefix}_{len(arrays)}{suffix}.npy"))
    return arrays


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One compile cache for the session: a model compiled by one test is
    loaded from it by the next."""
    return tmp_path_factory.mktemp("kiln-cache")


@pytest.fixture(scope="session")
def kilnc():
    path = os.environ.get("KILN_KILNC", str(ROOT / "build" / "bin" / "kilnc"))
    if not Path(path).is_file():
        pytest.skip(f"no kilnc at {path}")
    return path
