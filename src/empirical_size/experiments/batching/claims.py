"""E3's claims: mini-batches and their remainder (Figure 2)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ...analysis.claims import PAIRED_T, Estimate, NotMeasurable, measure, per_trial, ratio, recorded_config
from ...analysis.merge import without_diverged
from .merge import SWEEP_MSE

MIN_SIZES = 5  # sizes in mini-batches a remainder fit needs (3 coefficients, 2 left over)


def smallness(n: np.ndarray, batch_size: int) -> np.ndarray:
    """How small each size's remainder batch is: ``1 - r / b`` for a
    remainder ``r = n mod b > 0`` (a batch of 1 point: nearly 1), and 0 when
    ``b`` divides ``n`` (no remainder batch)."""
    r = np.asarray(n) % batch_size
    return np.where(r > 0, 1.0 - r / batch_size, 0.0)


def remainder_slopes(ds: xr.Dataset, variant: str) -> xr.DataArray:
    """Per trial, the coefficient of the remainder's smallness in a least-
    squares fit of the last epoch's log MSE over the sizes in mini-batches,
    ``log mse = a + c log n + s * smallness(n)`` (the trend in n taken out),
    averaged over depths (paired: a trial index sees the same data at each)."""
    section = recorded_config(ds)["batching"]
    b, first = section["batch_size"], section["full_batch_below"]
    ns = np.array([n for n in ds.n.values if n >= first])
    if len(ns) < MIN_SIZES:
        raise NotMeasurable(f"{len(ns)} sizes from batching.full_batch_below = {first} on; the remainder fit needs {MIN_SIZES}")
    if variant not in ds.variant.values:
        raise NotMeasurable(f"no batching variant {variant!r} in this run")
    design = np.column_stack([np.ones(len(ns)), np.log(ns), smallness(ns, b)])
    mse = without_diverged(ds)[0].mse.sel(variant=variant, n=ns).isel(epoch=-1)
    logs = np.log(mse.transpose(..., "n").values)
    flat = logs.reshape(-1, len(ns)).T  # (n, depth * trial)
    coef = np.linalg.lstsq(design, np.nan_to_num(flat, nan=0.0), rcond=None)[0][2]
    coef[~np.isfinite(flat).all(axis=0)] = np.nan  # a diverged trial at any size is left out
    slopes = xr.DataArray(coef.reshape(logs.shape[:-1]), dims=mse.transpose(..., "n").dims[:-1])
    return slopes.mean("depth") if "depth" in slopes.dims else slopes


@measure("batching")
def remainder_effect(ds: xr.Dataset, variant: str) -> Estimate:
    """The MSE at the last epoch with a remainder batch of one point against
    none, other things (the trend in n) equal: ``exp(s)`` of
    :func:`remainder_slopes`, geometric mean over trials."""
    return ratio(remainder_slopes(ds, variant))


@measure("batching", "size")
def epochs_to_full_batch(batching: xr.Dataset, size: xr.Dataset, variant: str = "keep") -> Estimate:
    """The share of E2's epochs that mini-batches need to reach the MSE the
    full batch reaches at its last epoch, on the same trials and sizes (E3
    reuses E2's seeds); never reached counts as one record past the end.
    Mean over trials of the mean over shared depths and sizes."""
    first = recorded_config(batching)["batching"]["full_batch_below"]
    ns = [n for n in batching.n.values if n >= first and n in size.n.values]
    depths = [d for d in batching.depth.values if d in size.depth.values]
    trials = [t for t in batching.trial.values if t in size.trial.values]
    if not ns or not depths or not trials:
        raise NotMeasurable(f"no size and depth of E2 in mini-batches in E3 (E3 from n = {first}: {batching.n.values.tolist()})")
    full = without_diverged(size)[0].mse.sel(n=ns, depth=depths, trial=trials)
    mini = without_diverged(batching)[0].mse.sel(variant=variant, n=ns, depth=depths, trial=trials)
    goal = full.isel(epoch=-1)
    epochs = mini.epoch.values
    past_end = epochs[-1] + (epochs[-1] - epochs[-2] if len(epochs) > 1 else epochs[-1])
    reached = mini <= goal
    when = xr.where(reached.any("epoch"), mini.epoch.isel(epoch=reached.argmax("epoch")), past_end)
    share = (when / float(full.epoch.values[-1])).where(goal.notnull() & mini.isel(epoch=-1).notnull())
    return per_trial(share.mean(["depth", "n"]))


@measure("batching")
def batch_size_effect(ds: xr.Dataset) -> Estimate:
    """The MSE at the last epoch with the largest batch size of the sweep
    (``batching.sweep_batch_sizes`` and the paper's ``batch_size``) against
    the smallest, the paper's remainder kept: per trial the mean log ratio
    over the sweep's sizes and depths (paired: the same data and initial
    weights at every batch size), geometric mean over trials."""
    if SWEEP_MSE not in ds:
        raise NotMeasurable("no batch-size sweep in this run (batching.sweep_batch_sizes)")
    sweep = ds[SWEEP_MSE].isel(epoch=-1)
    paper = int(recorded_config(ds)["batching"]["batch_size"])
    kept = without_diverged(ds)[0].mse.sel(variant="keep", n=sweep.sweep_n.values).isel(epoch=-1)
    kept = kept.rename(n="sweep_n").expand_dims(batch_size=[paper])
    mse = xr.concat([sweep, kept.drop_vars("variant", errors="ignore")], "batch_size", join="exact")
    smallest, largest = int(mse.batch_size.min()), int(mse.batch_size.max())
    logs = np.log(mse.sel(batch_size=largest)) - np.log(mse.sel(batch_size=smallest))
    return ratio(logs.mean(["depth", "sweep_n"]), PAIRED_T)
