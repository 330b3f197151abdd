"""Where the CPU kernel and the BLAS trainer cross on this machine: depth 4,
one input, widths 64 to 500, at n = 64 (full batch) and n = 1000 in batches
of 500, each path's share of the float32 matmul rate, and the width from
which the BLAS trainer is at least as fast at every wider one
(``trainer.crossover_width``; ``auto`` uses ``trainer.BLAS_FROM_WIDTH``).

    python benchmarks/crossover.py [--seconds 1.5]
"""

import argparse
import types

from empirical_size.engine import backend

backend.select("tensorflow")

from empirical_size.engine.trainer import BLAS_FROM_WIDTH, crossover_width
from empirical_size.science import networks
from empirical_size.tools import bench

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--seconds", type=float, default=1.5, help="target seconds per timed measurement")
args = parser.parse_args()
timing = types.SimpleNamespace(seconds=args.seconds)
peak = bench.matmul_gflops(args.seconds)
print(f"matmul {peak:.1f} GFLOP/s; auto's BLAS_FROM_WIDTH = {BLAS_FROM_WIDTH}")
for n, batch in ((64, None), (1000, 500)):
    table = []
    for width in (64, 128, 192, 256, 384, 500):
        shape = bench.Shape("x", 4, width, 1, n, batch, 4 if width >= 256 else 8)
        flops = 6 * networks.parameter_count(bench._sizes(shape)) * shape.n
        kernel, blas = (bench.engine_rate(shape, timing, path) for path in ("kernel:native", "blas"))
        print(
            f"n {n}, batch {batch or 'full'}, width {width}: kernel {kernel * flops / 1e9 / peak:.0%}, "
            f"BLAS trainer {blas * flops / 1e9 / peak:.0%} of matmul (BLAS / kernel {blas / kernel:.2f})",
            flush=True,
        )
        table.append((width, 1 / kernel, 1 / blas))
    print(f"n {n}: the BLAS trainer is at least as fast from width {crossover_width(table)} on")
