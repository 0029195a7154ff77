"""Imports every model of ONNX backend test suites with kilnc.

Each model is classified as
  imported     kilnc --emit=graph succeeded;
  unsupported  kilnc refused it with an "unsupported: ..." error;
  failed       kilnc reported another error (a bug, or a malformed model);
  crashed      kilnc died from a signal or timed out (always a bug).
Symbolic dims are pinned and shape-deciding inputs bound to the test's
data, as a user would. Prints the non-imported models, the unsupported
reasons grouped and a summary per suite. Exits 1 when any model failed or
crashed.

usage: import_suite.py KILNC TESTS_ROOT SUITE [SUITE ...]
"""

import collections
import concurrent.futures
import os
import subprocess
import sys

from kilntest import kilnc as kt, onnxtests


def classify(kilnc, model):
    try:
        run, _ = kt.compile_model(
            kilnc, model, ["--emit=graph", "-o", os.devnull], timeout=120,
            inputs=onnxtests.test_inputs(model))
    except subprocess.TimeoutExpired:
        return "crashed", "timeout"
    if run.returncode < 0 or run.returncode > 1:
        return "crashed", f"exit {run.returncode}: {run.stderr.strip()[-300:]}"
    if run.returncode == 0:
        return "imported", ""
    reason = onnxtests.unsupported_reason(run.stderr)
    if reason is not None:
        return "unsupported", reason
    return "failed", run.stderr.strip().splitlines()[0] if run.stderr.strip() else ""


def main():
    kilnc, root, suites = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    totals = []
    reasons = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for suite in suites:
            entries = list(onnxtests.models(root, suite))
            results = pool.map(lambda e: (e[0],) + classify(kilnc, e[1]), entries)
            counts = collections.Counter()
            for name, status, detail in results:
                counts[status] += 1
                if status == "unsupported":
                    reasons[onnxtests.group_reason(detail)] += 1
                if status in ("failed", "crashed"):
                    bad += 1
                    print(f"{status.upper()}: {suite}/{name}: {detail}")
            totals.append((suite, len(entries), counts))
    print("\nunsupported, by reason:")
    for reason, count in reasons.most_common():
        print(f"  {count:4d}  {reason}")
    print()
    for suite, total, counts in totals:
        print(f"{suite}: {total} models, {counts['imported']} imported, "
              f"{counts['unsupported']} unsupported, {counts['failed']} failed, "
              f"{counts['crashed']} crashed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
