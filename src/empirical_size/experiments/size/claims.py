"""E2's claims: the size of the trained networks (Figure 1)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ...analysis.claims import PAIRED_T, Estimate, NotMeasurable, measure, per_trial, ratio
from ...analysis.merge import without_diverged


def _peak(size: xr.DataArray) -> xr.DataArray:
    """Each trial's size at the (n, epoch) cell where the mean over trials peaks."""
    return size.isel(size.mean("trial").argmax(...))


@measure("size")
def max_mean_size(ds: xr.Dataset, depth: int) -> Estimate:
    """The largest mean (over trials) size on the (n, epoch) map of one
    depth; the standard error is that of the cell where it is reached."""
    return per_trial(_peak(without_diverged(ds)[0].size.sel(depth=depth)))


@measure("size")
def perfect_fit_size(ds: xr.Dataset) -> Estimate:
    """``sum_i y_i^2`` of the largest data sets (the same at every depth)."""
    return per_trial(without_diverged(ds)[0].sum_y2.sel(n=ds.n.max()).isel(depth=0))


@measure("size")
def fitted_fraction(ds: xr.Dataset) -> Estimate:
    """Size over perfect-fit size at the largest ``n`` and last epoch; of
    the depths, the one whose 95% interval reaches highest (the least
    established for an "at most" reading; the depth that fits most on
    average may have the tighter interval)."""
    ds = without_diverged(ds)[0].sel(n=ds.n.max()).isel(epoch=-1)
    return _highest_reach(per_trial(ds.size.sel(depth=d) / ds.sum_y2.sel(depth=d)) for d in ds.depth.values)


def _highest_reach(estimates) -> Estimate:
    """The estimate whose 95% interval reaches highest (an undefined end counts as highest)."""
    return max(estimates, key=lambda e: e.interval[1] if np.isfinite(e.interval[1]) else np.inf)


@measure("size")
def depth_order(ds: xr.Dataset) -> Estimate:
    """Figure 1's order of depths: the rise of the largest mean size from one
    depth to the next that is least established (the lowest end of its 95% interval), paired by trial (a trial index sees the same
    data at every depth), each depth at the cell where its mean peaks."""
    size = without_diverged(ds)[0].size
    depths = sorted(int(d) for d in size.depth.values)
    if len(depths) < 2:
        raise NotMeasurable(f"one depth ({depths}) in this run; the order needs two")
    steps = [per_trial(_peak(size.sel(depth=b)) - _peak(size.sel(depth=a)), PAIRED_T) for a, b in zip(depths, depths[1:])]
    return min(steps, key=lambda e: e.interval[0] if np.isfinite(e.interval[0]) else -np.inf)  # the rise least established


@measure("size")
def depth_ratio(ds: xr.Dataset, lower: int, upper: int) -> Estimate:
    """Depth ``upper``'s largest mean size over depth ``lower``'s, each trial
    at the cell where its depth's mean peaks, as a ratio per trial (paired:
    a trial index sees the same data at every depth); geometric mean."""
    size = without_diverged(ds)[0].size
    missing = [d for d in (lower, upper) if d not in size.depth.values]
    if missing:
        raise NotMeasurable(f"no depth {missing[0]} in this run")
    return ratio(np.log(_peak(size.sel(depth=upper)) / _peak(size.sel(depth=lower))), PAIRED_T)


@measure("size")
def change_at_the_end(ds: xr.Dataset, last_part: float = 0.1) -> Estimate:
    """Whether Figure 1's sizes have levelled off: at the largest n, per
    trial, |size at the last epoch - size at the record nearest
    ``1 - last_part`` of the epochs| over the size at the last epoch; of the
    depths, the one whose 95% interval reaches highest (the least
    established for an "at most" reading)."""
    ds = without_diverged(ds)[0].sel(n=ds.n.max())
    epochs = ds.epoch.values
    earlier = int(epochs[np.abs(epochs - (1 - last_part) * epochs[-1]).argmin()])
    if earlier == int(epochs[-1]):
        raise NotMeasurable(f"one record near the end ({earlier}); the change needs two")
    change = abs(ds.size.isel(epoch=-1) - ds.size.sel(epoch=earlier)) / ds.size.isel(epoch=-1)
    return _highest_reach(per_trial(change.sel(depth=d)) for d in ds.depth.values)

