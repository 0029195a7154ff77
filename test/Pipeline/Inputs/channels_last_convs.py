"""Convolutions that oneDNN may compute channels-last, for
dnnl-channels-last.test.

  channels_last_convs.py make DIR: writes DIR/model.onnx (see
      kilntest.channels_last), its inputs DIR/x.npy, DIR/y.npy and the
      float64 NumPy references DIR/expected_*.npy.
  channels_last_convs.py check DIR OUTDIR: compares OUTDIR's outputs with
      them.
"""

import sys

import numpy as np
from kilntest import compare
from kilntest.channels_last import OUTPUTS, case


def make(work):
    model, inputs, expected = case()
    compare.save_case(work, model, inputs,
                      {n: v.astype(np.float32) for n, v in expected.items()})


def check(work, outdir):
    return compare.check_saved(work, outdir, OUTPUTS, 1e-4, 1e-4)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
