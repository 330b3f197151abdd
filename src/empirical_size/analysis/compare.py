"""Are two runs' numbers the same, bit for bit? Compares every merged data
set (``results/data/*.nc``) of two run directories: each variable and
coordinate exactly (NaN equal to NaN), and says which attributes differ
(times and hosts always do).

    python -m empirical_size.analysis.compare RUN_A RUN_B
    python -m empirical_size.analysis.compare --rtol 1e-12 RUN_A RUN_B

Exit status 0 when every number is identical, 1 otherwise. With ``--rtol``,
values that differ by at most ``rtol`` times their variable's largest
magnitude count as the same (float64 evaluation moved between libraries
differs in the last bits), and the largest such difference is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..training.storage import load

VARYING = ("created", "host", "wall_seconds", "total_wall_seconds")  # attributes that differ between any two runs


def differences(a, b, rtol: float = 0.0) -> list[str]:
    """What differs between two data sets: variables' values and attributes
    (values within ``rtol`` of their variable's scale said so, as ``close``)."""
    out = []
    if set(a.variables) != set(b.variables):
        out.append(f"variables differ: {sorted(set(a.variables) ^ set(b.variables))}")
    for name in sorted(set(a.variables) & set(b.variables)):
        x, y = a[name], b[name]
        if x.dims != y.dims or x.shape != y.shape:
            out.append(f"{name}: dims {x.dims} {x.shape} against {y.dims} {y.shape}")
        elif not np.array_equal(x.values, y.values, equal_nan=x.dtype.kind == "f"):
            out.append(_unequal(name, x.values, y.values, rtol))
    for key in sorted(set(a.attrs) | set(b.attrs)):
        if key not in VARYING and str(a.attrs.get(key)) != str(b.attrs.get(key)):
            out.append(f"attribute {key!r} differs")
    return out


def _unequal(name: str, x: np.ndarray, y: np.ndarray, rtol: float) -> str:
    if rtol > 0 and x.dtype.kind == "f" and np.array_equal(np.isnan(x), np.isnan(y)):
        scale = np.nanmax(np.abs(x)) if np.isfinite(x).any() else 0.0
        worst = np.nanmax(np.abs(x - y)) / scale if scale > 0 else np.inf
        if worst <= rtol:
            return f"{name}: close, values differ by at most {worst:.1e} of the variable's largest magnitude"
    return f"{name}: values differ"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    rtol = 0.0
    if len(argv) == 4 and argv[0] == "--rtol":
        rtol, argv = float(argv[1]), argv[2:]
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    runs = [Path(p) / "results" / "data" for p in argv]
    names = sorted({p.name for run in runs for p in run.glob("*.nc")})
    same = True
    for name in names:
        paths = [run / name for run in runs]
        if not all(p.exists() for p in paths):
            print(f"{name}: only in {[str(p) for p in paths if p.exists()]}")
            same = False
            continue
        diff = differences(*(load(p) for p in paths), rtol=rtol)
        numbers = [d for d in diff if not d.startswith("attribute") and ": close, " not in d]
        close = any(": close, " in d for d in diff)
        same &= not numbers
        verdict = "DIFFERENT" if numbers else f"numbers within rtol {rtol:g}" if close else "identical numbers"
        print(f"{name}: {verdict}" + "".join(f"\n    {d}" for d in diff))
    return 0 if same and names else 1


if __name__ == "__main__":
    sys.exit(main())
