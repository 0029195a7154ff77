"""The per-op profile of a Kiln executable (`--profile`), read from the
table it prints: the bench scripts' one reader of that format."""

import re
import subprocess

# "profile: 10 runs, 5.1 us per run, 4.3 us in ops"
SUMMARY = re.compile(r"profile: \d+ runs, ([\d.]+) us per run, ([\d.]+) us in "
                     r"ops")
# "       1.8   35.5  attention        /encoder/self_attn/Div_2 (Div)"
ROW = re.compile(r"\s+([\d.]+)\s+[\d.]+\s+(\S+)\s+(.*)$")


def profile(exe, inputs, runs, threads, outdir):
    """Runs `exe INPUTS -o OUTDIR --profile --bench RUNS --threads THREADS`
    and returns (ops, us per run, us in ops): ops a list of (op kind, node,
    us per run), the node without its "(OpType)"."""
    text = subprocess.run([exe, *inputs, "-o", outdir, "--profile",
                           "--bench", str(runs), "--threads", str(threads)],
                          capture_output=True, text=True, check=True).stdout
    ops, per_run, in_ops = [], None, None
    for line in text.splitlines():
        m = SUMMARY.match(line)
        if m:
            per_run, in_ops = float(m.group(1)), float(m.group(2))
            continue
        m = ROW.match(line)
        if m:
            ops.append((m.group(2), m.group(3).rsplit(" (", 1)[0],
                        float(m.group(1))))
    return ops, per_run, in_ops
