"""Convolutions that oneDNN may compute channels-last, for
dnnl-channels-last.test and run-threads.test.

  channels_last_convs.py make DIR: writes DIR/model.onnx (see
      kilntest.channels_last), its inputs DIR/x.npy, DIR/y.npy and the
      NumPy references, computed in float64, DIR/expected_*.npy.
  channels_last_convs.py check DIR OUTDIR: compares OUTDIR's outputs with
      them.
"""

import sys

from kilntest import compare
from kilntest.channels_last import OUTPUTS, case

if __name__ == "__main__":
    sys.exit(compare.case_script(sys.argv, case, OUTPUTS, 1e-4, 1e-4))
