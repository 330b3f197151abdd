"""A smoke run of the benchmark: it runs, checks equality and prints its table
(speed itself is measured by hand, never asserted)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from empirical_size.engine import cpu_kernel


def test_benchmark_smoke_run_prints_ratios():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "empirical_size.tools.bench", "--quick"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert re.search(r"max \|MSE difference\| = (\d\.\d\de-(1\d|[2-9]\d)|0\.00e\+00)", out), out  # below 1e-9
    row = r"^E2\s+2\s+64\s+20\s+full\s+float32\s+[\d.]+\s+[\d.]+\s+[\d.]+x\s+[\d.]+\s+\d+%\s+(\d+%|-)\s+([\d.]+x|-)  "
    # on a CPU, side by side: the backend's own loop, then each kernel build it runs, each labelled by the
    # instruction set its build reports ("avx512", "avx2+fma", "sse4.2"...), never one this CPU happens to have;
    # so an AVX-512 machine checks every label an AVX2-only one prints
    labels = ["tensorflow graph"]
    for arch in ["native", *cpu_kernel.runnable_variants()]:
        try:
            labels.append(f"kernel {arch} ({cpu_kernel.library(arch).target().decode()})")
        except cpu_kernel.KernelUnavailable:  # a compiler that cannot target it: the bench says so and goes on
            assert re.search(rf"^kernel {re.escape(arch)}: not built \(", out, flags=re.M), (arch, out)
    if cpu_kernel.available("native"):  # the wide networks' trainer, its update by the native build
        labels.append("blas (numpy BLAS products, kernel native update)")
    startup = re.search(r"^start-up, process start to first step \(tensorflow selected\): (.*)$", out, flags=re.M)
    assert startup, out
    for label in labels:
        assert re.search(row + re.escape(label) + "(  <- auto)?$", out, flags=re.M), (label, out)
        assert re.search(rf"(^|, ){re.escape(label)} \d+\.\d\d s(,|$)", startup[1]), (label, startup[1])
    assert len(re.findall(r"  <- auto$", out, flags=re.M)) == 1, out  # the path auto takes at the one shape
    assert re.search(r"^device: (tensorflow|jax):", out, flags=re.M), out  # the backend's device, named by Keras
    assert "GFLOP/s" in out and "peak memory" in out


def test_estimate_times_every_job_shape_of_a_config(tmp_path):
    """--estimate: one line per packed bucket, per measured size and E3 point,
    and a total; the job counts are the config's."""
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "size: {depths: [2], width: 8, sizes: [20, 45, 300], trials: 4, trials_per_job: 2, epochs: 100, record_every: 50, pack_width: 256}\n"
        "batching: {depths: [2], width: 8, sizes: [20, 300, 310, 400], trials: 4, trials_per_job: 4, epochs: 100, record_every: 50,"
        " full_batch_below: 300, batch_size: 128, variants: [keep, resample]}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "empirical_size.tools.bench", "--no-table", "--seconds", "0.05", "--estimate", str(config)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert re.search(r"depth 2, n 20-45 \(4 trials\): [\d.]+ ms/epoch", out), out  # 2 sizes x 2 trials packed
    assert re.search(r"depth 2, n 300-300 \(2 trials\)", out), out
    assert re.search(r"^E2 packed\s+4\s+[\d.]+\s+[\d.]+$", out, flags=re.M), out  # 2 buckets x 2 chunks
    assert re.search(r"^E2 unpacked\s+6\s+[\d.]+\s+[\d.]+$", out, flags=re.M), out
    # E3 in its own chunks of 4 trials (E2's are 2)
    assert re.search(r"^E3 mini-batch\s+6\s+[\d.]+\s+[\d.]+$", out, flags=re.M), out  # 2 variants x 3 sizes
    assert re.search(r"^E3 packed\s+4\s+[\d.]+\s+[\d.]+$", out, flags=re.M), out  # 2 variants x 2 buckets
    assert re.search(r"keep, depth 2, n 300-310 \(8 trials\): [\d.]+ ms/epoch", out), out  # 3 steps of 128 each
    assert re.search(r"on 8 such device\(s\): at least [\d.]+ minutes", out), out
    assert re.search(r"n 300, 4 trials, resample: [\d.]+ ms/epoch", out), out
    assert "E2 + E3" in out


def test_the_paper_shapes_are_each_experiments_network_and_batches():
    from empirical_size.tools import bench

    rows = {s.name: s for s in bench.shapes(bench.parse(["--shapes", "paper"]))}
    assert list(rows) == ["E2", "E3", "E4", "E5", "E8", "E8 500"]
    assert (rows["E3"].batch, rows["E3"].n % 256) == (256, 20)  # a remainder batch, as Figure 2's
    assert rows["E4"][1:] == (4, 500, 1, 1000, 500, 4)
    assert rows["E2"].batch is None and rows["E5"].width == 32 and rows["E8"].width == 128
    assert [s.trials for s in bench.shapes(bench.parse(["--shapes", "paper", "--trials", "2"]))] == [2] * 6


def test_prepared_gpu_script_runs_e4_end_to_end_on_a_cpu(tmp_path):
    """benchmarks/device_e4.sh, prepared for a device call, run here at a
    tiny E4 (trained by JAX's loop, as on the GPU; the bench skipped): both
    variants trained and timed, merged, read by the E4 claims and drawn."""
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("minima: {width: 8, trials: 2, n: 40, batch_size: 20, checkpoints: [50, 100]}\n")
    out = tmp_path / "out"
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # its python3 is this one
    env = {**os.environ, "PATH": path, "OUT": str(out), "BACKEND": "jax", "EMPIRICAL_SIZE_PATH": "jax", "E4": "1", "BENCH": "0"}
    proc = subprocess.run(["bash", "benchmarks/device_e4.sh", str(tiny)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = (out / "e4.log").read_text()
    for variant in ("zero", "uniform"):
        assert re.search(rf"^E4 {variant}: \d+ s on the clock$", log, flags=re.M), log
    import pandas as pd

    table = pd.read_csv(out / "reproduction-e4.csv")
    e4 = table[table.claim.str.startswith("E4_")]
    assert len(e4) >= 4 and e4.why.str.contains("minima.width = 8").all(), e4[["claim", "why"]]  # read, then held apart
    assert (out / "fig3.png").stat().st_size > 10_000
    assert not (out / "bench.log").exists()
