"""Are two runs' numbers the same, bit for bit? Compares every merged data
set (``results/data/*.nc``) of two run directories: each variable and
coordinate exactly (NaN equal to NaN), and says which attributes differ
(times and hosts always do).

    python -m empirical_size.compare RUN_A RUN_B

Exit status 0 when every number is identical, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .storage import load

VARYING = ("created", "host", "wall_seconds", "total_wall_seconds")  # attributes that differ between any two runs


def differences(a, b) -> list[str]:
    """What differs between two data sets: variables' values and attributes."""
    out = []
    if set(a.variables) != set(b.variables):
        out.append(f"variables differ: {sorted(set(a.variables) ^ set(b.variables))}")
    for name in sorted(set(a.variables) & set(b.variables)):
        x, y = a[name], b[name]
        if x.dims != y.dims or x.shape != y.shape:
            out.append(f"{name}: dims {x.dims} {x.shape} against {y.dims} {y.shape}")
        elif not np.array_equal(x.values, y.values, equal_nan=x.dtype.kind == "f"):
            out.append(f"{name}: values differ")
    for key in sorted(set(a.attrs) | set(b.attrs)):
        if key not in VARYING and str(a.attrs.get(key)) != str(b.attrs.get(key)):
            out.append(f"attribute {key!r} differs")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
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
        diff = differences(*(load(p) for p in paths))
        numbers = [d for d in diff if not d.startswith("attribute")]
        same &= not numbers
        print(f"{name}: {'identical numbers' if not numbers else 'DIFFERENT'}" + "".join(f"\n    {d}" for d in diff))
    return 0 if same and names else 1


if __name__ == "__main__":
    sys.exit(main())
