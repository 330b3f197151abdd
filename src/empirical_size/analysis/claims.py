"""How a claim of the paper is measured on merged data sets: the machinery.

One function per kind of measurement, registered under its name with the
experiments whose merged data sets it reads (:func:`measure`); a claim of
``paper_values.yaml`` names one. The measures live in their experiments'
packages (``experiments/<name>/claims.py``), found by :func:`measures`
without a list. Training jobs never import them, so editing how a verdict
is computed redraws tables, never retrains.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..plan.record import experiment_modules
from .stats import mean_se, t_quantile

T_TEST, PAIRED_T = "t", "paired t"  # how an interval is made: Student's t on the trials, or on paired differences


@dataclass(frozen=True)
class Estimate:
    """A mean over independent trials, its standard error and its 95%
    interval by Student's t on ``trials - 1`` degrees of freedom. ``log``:
    a geometric mean (of per-trial ratios), its interval made on the logs
    and mapped back (``se`` is the delta method's, for display)."""

    value: float
    se: float
    trials: int
    method: str = T_TEST
    log: bool = False

    @property
    def scale(self) -> tuple[float, float]:
        """``(centre, standard error)`` where the interval is made: the logs for a geometric mean."""
        if self.log:
            return (float(np.log(self.value)), self.se / self.value) if self.value > 0 else (float("nan"), float("nan"))
        return self.value, self.se

    def on_scale(self, x: float) -> float:
        """A value (an edge of a reading) where the interval is made."""
        if not self.log:
            return x
        return float(np.log(x)) if x > 0 else float("-inf")

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% interval (NaN with fewer than two trials)."""
        centre, se = self.scale
        if self.trials < 2 or not (np.isfinite(centre) and np.isfinite(se)):
            return float("nan"), float("nan")
        half = t_quantile(self.trials - 1) * se
        low, high = centre - half, centre + half
        return (float(np.exp(low)), float(np.exp(high))) if self.log else (low, high)


@dataclass(frozen=True)
class Measure:
    func: Callable[..., Estimate]
    uses: tuple[str, ...]  # experiments whose merged data sets it takes, in order


class NotMeasurable(ValueError):
    """The run's data cannot answer the claim (too few sizes, a missing
    epoch); the message says why, and the verdict is "not comparable"."""


MEASURES: dict[str, Measure] = {}


def measure(*uses: str):
    """Register a measure under its function's name, reading the merged data
    sets of ``uses`` (passed positionally in that order)."""

    def register(func):
        MEASURES[func.__name__] = Measure(func, uses)
        return func

    return register


def per_trial(values: xr.DataArray, method: str = T_TEST) -> Estimate:
    """Mean and standard error over trials (every dim); an infinite value
    counts as diverged. ``method``: :data:`PAIRED_T` where ``values`` are
    per-trial differences of two measurements the design pairs."""
    values = values.where(np.isfinite(values))
    mean, se = mean_se(values)
    return Estimate(float(mean), float(se), int(values.count()), method)


def ratio(log_values: xr.DataArray, method: str = T_TEST) -> Estimate:
    """A ratio from its per-trial logarithms: geometric mean, its interval
    from the logs' t-interval, the standard error by the delta method."""
    e = per_trial(log_values)
    return Estimate(float(np.exp(e.value)), float(np.exp(e.value) * e.se), e.trials, method, log=True)


def recorded_config(ds: xr.Dataset) -> dict:
    import json

    try:
        return json.loads(ds.attrs["config"])
    except (KeyError, ValueError) as err:
        raise ValueError(f"data set of experiment {ds.attrs.get('experiment', '?')!r} records no config") from err


def rank_correlation(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's correlation of ``a`` and ``b`` along ``axis`` (ties broken
    by order); NaN where either holds a NaN (a diverged trial) or is constant
    (no order to correlate: ties broken by order would read as +1)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    undefined = np.isnan(a).any(axis) | np.isnan(b).any(axis) | (np.ptp(a, axis) == 0) | (np.ptp(b, axis) == 0)
    ra = np.argsort(np.argsort(a, axis=axis), axis=axis).astype(float)
    rb = np.argsort(np.argsort(b, axis=axis), axis=axis).astype(float)
    ra -= ra.mean(axis=axis, keepdims=True)
    rb -= rb.mean(axis=axis, keepdims=True)
    corr = (ra * rb).sum(axis=axis) / np.sqrt((ra**2).sum(axis=axis) * (rb**2).sum(axis=axis))
    return np.where(undefined, np.nan, corr)


def log_log_slope(values: xr.DataArray, dim: str) -> xr.DataArray:
    """Per trial, the least-squares slope of log(values) against log(``dim``'s
    coordinate); NaN where any value is missing or not positive."""
    logx = np.log(values[dim].astype(float))
    centred = logx - logx.mean()
    logy = np.log(values.where(values > 0))
    slope = ((logy - logy.mean(dim)) * centred).sum(dim) / (centred**2).sum()
    return slope.where(logy.notnull().all(dim))


def inside_out(error: xr.DataArray, x: xr.DataArray, dim: str, bins: int) -> xr.DataArray:
    """How much a fit's error grows away from the origin: Spearman's
    correlation between ``|x|`` and the mean squared error in ``bins``
    equal bins of ``|x|`` (along ``dim``). +1: fitted from the origin
    outward; -1: from the boundaries in; 0: uniformly."""
    distance = np.abs(np.asarray(x, float))
    edges = np.linspace(0.0, distance.max(), bins + 1)
    which = np.clip(np.digitize(distance, edges[1:-1]), 0, bins - 1)
    binned = xr.concat([error.isel({dim: np.flatnonzero(which == b)}).mean(dim) for b in range(bins) if (which == b).any()], "bin")
    centres = np.arange(binned.sizes["bin"], dtype=float)
    moved = binned.transpose(..., "bin")
    corr = rank_correlation(np.broadcast_to(centres, moved.shape), moved.values)
    return xr.DataArray(corr, dims=moved.dims[:-1], coords={d: moved[d] for d in moved.dims[:-1] if d in moved.coords})


def claim_modules() -> list[str]:
    """Every experiment package's ``claims`` module, by name (found, not listed)."""
    return experiment_modules("claims")


def measures() -> dict[str, Measure]:
    """Every measure, its experiment's ``claims`` module imported (registering it) on first call."""
    for name in claim_modules():
        importlib.import_module(name)
    return MEASURES
