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


# -- intervals and verdicts' statistics (scipy, imported when used) ------------
LEVEL = 0.95  # every interval of a verdict


def t_quantile(df: float, level: float = LEVEL) -> float:
    """Student's t quantile that a two-sided ``level`` interval on ``df``
    degrees of freedom spans either side (3.18 on 3, 2.78 on 4, 1.96 on ∞)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


def t_p_value(distance: float, se: float, df: float) -> float:
    """Two-sided p-value of a mean ``distance`` from a value, its standard
    error ``se``, on ``df`` degrees of freedom (Student's t)."""
    from scipy.stats import t

    if not se > 0:
        return 0.0 if distance != 0 else 1.0
    return float(2 * t.sf(abs(distance) / se, df))


def trials_to_settle(centre: float, se: float, trials: int, edge: float, level: float = LEVEL, most: int = 10**6) -> int | None:
    """The fewest trials at which a ``level`` t-interval with the same mean
    and the same spread between trials (``se`` x sqrt(``trials``)) clears
    ``edge``: what a rerun would need to settle an interval straddling it.
    None where the mean sits on the edge or ``most`` trials would not do."""
    import math

    sd = se * math.sqrt(trials)
    distance = abs(centre - edge)
    if not (math.isfinite(distance) and distance > 0 and math.isfinite(sd)):
        return None
    if sd == 0:
        return 2

    def clears(n: int) -> bool:
        return t_quantile(n - 1, level) * sd / math.sqrt(n) < distance

    if not clears(most):
        return None
    low, high = 1, 2  # clears(high), not clears(low): doubling, then halving the gap
    while not clears(high):
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if clears(mid) else (mid, high)
    return high


def holm(p_values: list[float | None], family: int | None = None, level: float = 1 - LEVEL) -> list[bool | None]:
    """Holm's step-down over a family: for each p-value, whether its
    rejection stands at family-wise ``level`` (None where there is none to
    test). ``family``: the number of hypotheses, at least those given."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = max(family or 0, len(tested))
    out: list[bool | None] = [None] * len(p_values)
    standing = True
    for rank, (p, i) in enumerate(tested):
        standing = standing and p <= level / (m - rank)
        out[i] = standing
    return out
