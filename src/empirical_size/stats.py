"""Mean and standard error over trials: the one helper every table, figure
and verdict uses."""

from __future__ import annotations

import numpy as np
import xarray as xr


def mean_se(a: xr.DataArray, dim: str | None = None) -> tuple[xr.DataArray, xr.DataArray]:
    """Mean over ``dim`` (every dim when None) and its standard error, the
    sample standard deviation (``ddof=1``) over the square root of the
    number of finite values; NaN values (diverged trials) are left out, and
    the error is NaN where fewer than two remain."""
    count = a.count(dim)
    se = a.std(dim, ddof=1) / np.sqrt(count)
    return a.mean(dim), se.where(count > 1)
