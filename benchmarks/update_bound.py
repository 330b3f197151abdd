"""How close to the matmul rate a step can come with Keras' exact Adadelta.

At few samples a step (E5's and E8's n = 64) a trial's products are short
while its update still touches every parameter with two square roots and a
division. On one core, alone: the kernel's update per step (from
kernel_parts.cpp, built here for this CPU), the hidden layers' products at
OpenBLAS's own rate for their shapes, and the bound those two give on a
whole step (everything else, transposes included, free) as a share of
OpenBLAS's 1024^2 rate on the same core. A share under the target means no
blocking of the products reaches it while the update stays as it is.

    python benchmarks/update_bound.py            # widths 128 and 500 at n = 64
    python benchmarks/update_bound.py 500 500    # WIDTH N (rounded up to whole vectors)
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from empirical_size.engine import cpu_kernel

HERE = Path(__file__).resolve().parent


def blas_rate(m: int, k: int, n: int, seconds: float = 1.0) -> float:
    """GFLOP/s of one float32 product (m x k) @ (k x n), one thread."""
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), np.float32), rng.random((k, n), np.float32)
    c = a @ b
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(10):
            np.matmul(a, b, out=c)
        reps += 10
    return 2 * m * k * n * reps / (time.perf_counter() - start) / 1e9


def kernel_parts(width: int, n: int) -> dict[str, float]:
    exe = Path(tempfile.mkdtemp()) / "kernel_parts"  # a run's own build: two runs at once do not race
    cmd = ["g++", "-O3", "-std=c++20", "-fno-math-errno", "-ffp-contract=fast", "-march=native", str(HERE / "kernel_parts.cpp"), "-o", str(exe)]
    subprocess.run(cmd, check=True)
    reps = max(20, int(1e9 / (width * width * n)))  # about half a second a part
    out = subprocess.run([str(exe), str(width), str(n), str(reps)], check=True, capture_output=True, text=True).stdout
    print(out.strip())
    return {k: float(v) for k, v in re.findall(r"(step|adadelta|transpose) ([\d.]+) us", out)}


def cpu_model() -> str:
    """The CPU's model (Linux), else the architecture."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.*)$", info, flags=re.MULTILINE)
    return model[1] if model else platform.machine()


def main(shapes: list[tuple[int, int]]) -> None:
    native = cpu_kernel.library("native").target().decode()
    print(f"{cpu_model()}, kernel native: {native}; one core, alone")
    with threadpool_limits(1):
        peak = blas_rate(1024, 1024, 1024)
        print(f"OpenBLAS 1024^2: {peak:.1f} GFLOP/s")
        for width, n in shapes:
            # the harness takes whole vectors: the width the native build pads to (500 -> 504 on AVX2, 512 on AVX-512)
            width = cpu_kernel.Layout([1, width, width, width, width, 1], "float32").width
            rows = min(n, 512)  # the kernel's block of samples
            parts = kernel_parts(width, n)
            params = 2 * width + 3 * (width * width + width) + width + 1  # depth 4, one input
            flops = 6.0 * params * n
            # forward, kernel gradient, backward of each hidden layer, at OpenBLAS's rate for that shape
            shapes_ = [(rows, width, width), (width, rows, width), (rows, width, width)]
            rates = [blas_rate(*s) for s in shapes_]
            products = 3 * sum(2 * m * k * q / r / 1e9 for (m, k, q), r in zip(shapes_, rates)) * 1e6 * (n / rows)
            bound = flops / ((products + parts["adadelta"]) * 1e-6) / 1e9
            now = flops / (parts["step"] * 1e-6) / 1e9
            print(
                f"width {width}, n {n}: hidden products at OpenBLAS's rate {products:.0f} us"
                f" ({', '.join(f'{r:.0f}' for r in rates)} GFLOP/s), Adadelta {parts['adadelta']:.0f} us,"
                f" transposes {parts['transpose']:.0f} us; bound {bound / peak:.0%} of the 1024^2 rate, the kernel's step now {now / peak:.0%}"
            )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main([(args[0], args[1])] if args else [(128, 64), (500, 64)])
