"""Runs the executables of sequence-recurrent.test on the dynamic zoo's
fixtures and prints "NAME CASE ok" for outputs within rtol 1e-3, atol 1e-5
of PyTorch's."""

import os
import subprocess
import sys

import numpy as np

work, zoo = sys.argv[1:3]
cases = [("lstm", "lstm_tagger", s) for s in ("_b3_s7", "_b3_s40", "_b3_s97")]
cases += [("gru", "gru_classifier", s) for s in ("_b3_s7", "_b3_s40", "_b3_s97")]
cases += [("lstm-blocks", "lstm_tagger", s) for s in ("_b16", "_b3_s40")]
for exe, model, suffix in cases:
    out = os.path.join(work, f"out-{exe}{suffix}")
    os.makedirs(out, exist_ok=True)
    subprocess.run([os.path.join(work, exe),
                    os.path.join(zoo, model, f"input_0{suffix}.npy"),
                    "-o", out], check=True)
    (name,) = os.listdir(out)
    got = np.load(os.path.join(out, name))
    expected = np.load(os.path.join(zoo, model, f"output_0{suffix}.npy"))
    ok = got.shape == expected.shape and np.allclose(got, expected, 1e-3, 1e-5)
    label = suffix.replace("_b3_", "").lstrip("_")
    print(exe, label, "ok" if ok else f"WRONG {np.abs(got - expected).max()}")
