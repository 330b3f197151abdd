"""A smoke run of the benchmark: it runs, checks equality and prints its table
(speed itself is measured by hand, never asserted)."""

import os
import re
import subprocess
import sys

from conftest import ROOT


def test_benchmark_smoke_run_prints_ratios():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "empirical_size.bench", "--quick"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert re.search(r"max \|MSE difference\| = (\d\.\d\de-(1\d|[2-9]\d)|0\.00e\+00)", out), out  # below 1e-9
    assert re.search(r"^\s+2\s+20\s+[\d.]+\s+[\d.]+\s+[\d.]+x\s+[\d.]+\s+\d+%$", out, flags=re.M), out
    assert "device:" in out and "GFLOP/s" in out and "peak memory" in out
