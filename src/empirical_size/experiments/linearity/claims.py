"""E5's claims: training is linear, low frequencies are learned first
(Figures 4 and 5), and the frequency sweep."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ...analysis.claims import PAIRED_T, Estimate, NotMeasurable, inside_out, log_log_slope, measure, per_trial, ratio
from .analysis import diff_and_pure, epochs_to_learn  # noqa: F401  (epochs_to_learn: here too for its users)

BINS = 8  # of |x|: 8 of E5's 64 inputs each


def _outputs(ds: xr.Dataset) -> xr.DataArray:
    """Outputs on the training inputs, diverged trials NaN."""
    out = ds.output_data
    return out.where(~ds.diverged.astype(bool)) if "diverged" in ds else out


@measure("linearity")
def noise_rate_ratio(ds: xr.Dataset, over: str = "last") -> Estimate:
    """MSE against N of "diff" over that of "pure" (paired: one trial's
    network and noise), at the last epoch of Figure 5 (``over="last"``), or
    each trial's geometric mean over all of Figure 5's epochs
    (``over="all"``); geometric mean over trials."""
    epochs = ds.attrs["mse_epochs"] if "mse_epochs" in ds.attrs else ds.epoch.values.tolist()
    epochs = [int(e) for e in np.atleast_1d(epochs)]
    parts = diff_and_pure(ds.sel(epoch=epochs if over == "all" else epochs[-1:]))
    return ratio(np.log(parts.mse_diff / parts.mse_pure).mean("epoch"), PAIRED_T)


def components(fit: xr.DataArray, x_part: xr.DataArray, n_part: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """``(alpha, beta)``: least-squares coefficients of ``fit ~ c + alpha X +
    beta N`` over the samples: how much of X and how much of N a fit holds
    (1: all of it, 0: none)."""
    design = np.column_stack([np.ones(x_part.size), x_part.values, n_part.values])
    moved = fit.transpose(..., "sample")
    flat = moved.values.reshape(-1, x_part.size).T
    coef = np.linalg.lstsq(design, np.nan_to_num(flat), rcond=None)[0]
    coef[:, ~np.isfinite(flat).all(axis=0)] = np.nan
    dims = moved.dims[:-1]
    coords = {d: moved[d] for d in dims if d in moved.coords}
    shape = moved.shape[:-1]
    return xr.DataArray(coef[1].reshape(shape), dims=dims, coords=coords), xr.DataArray(coef[2].reshape(shape), dims=dims, coords=coords)


@measure("linearity")
def noise_held_when_x_is(ds: xr.Dataset, held: float = 0.9) -> Estimate:
    """On X + N: the share of N the fit holds (beta of :func:`components`)
    at the first recorded epoch where it holds ``held`` of X (alpha);
    trials that never do are left out."""
    alpha, beta = components(_outputs(ds).sel(set="X+N"), ds.spline, ds.noise)
    reached = alpha >= held
    if not bool(reached.any()):
        raise NotMeasurable(f"no trial's fit of X + N holds {held:g} of X by epoch {int(ds.epoch.max())}")
    first = beta.isel(epoch=reached.argmax("epoch")).where(reached.any("epoch"))
    return per_trial(first)


@measure("linearity")
def uniformity_contrast(ds: xr.Dataset, part: float = 0.5) -> Estimate:
    """Figure 4's rows 3 (pure) and 4 (diff): the inside-out index (the rank
    correlation of |x| with the error against N, in :data:`BINS` bins) of
    pure minus the size of diff's (uniform: 0), each trial at the Figure 4 checkpoint where its
    pure fit's MSE against N is nearest ``part`` of N's mean square (half
    fitted; the index says nothing of a fit that is all or nothing)."""
    index = _half_fitted_indices(ds, part)
    # diff from the boundaries in (a negative index) is not uniform either: its size counts
    return per_trial(index["pure"] - abs(index["diff"]), PAIRED_T)


def _half_fitted_indices(ds: xr.Dataset, part: float) -> dict[str, xr.DataArray]:
    """Per trial, the inside-out index of pure's and of diff's error against
    N, at the Figure 4 checkpoint where pure's MSE against N is nearest
    ``part`` of N's mean square."""
    checkpoints = ds.attrs.get("checkpoints", ds.epoch.values.tolist())
    parts = diff_and_pure(ds.sel(epoch=checkpoints))
    power = float((ds.noise**2).mean())
    nearest = abs(parts.mse_pure / power - part).fillna(np.inf).argmin("epoch")
    return {name: inside_out((parts[name] - ds.noise) ** 2, ds.data_x, "sample", BINS).isel(epoch=nearest) for name in ("pure", "diff")}


@measure("linearity")
def origin_outward(ds: xr.Dataset, part: float = 0.5) -> Estimate:
    """Figure 4's row 3 alone: pure's inside-out index (as E4's: +1 where
    the error grows away from the origin) at the checkpoint where it is
    half fitted."""
    return per_trial(_half_fitted_indices(ds, part)["pure"])


@measure("linearity")
def linearity_gap(ds: xr.Dataset) -> Estimate:
    """How far training is from linear: the mean square of diff minus pure
    (two estimates of the N-part of a fit) over N's mean square, averaged
    over Figure 4's checkpoints (0: exactly linear)."""
    checkpoints = ds.attrs.get("checkpoints", ds.epoch.values.tolist())
    parts = diff_and_pure(ds.sel(epoch=checkpoints))
    gap = ((parts["diff"] - parts["pure"]) ** 2).mean("sample") / float((ds.noise**2).mean())
    return per_trial(gap.mean("epoch"))


@measure("linearity")
def early_stopping_gain(ds: xr.Dataset) -> Estimate:
    """On X + N: the smallest MSE against X over the recorded epochs over
    the MSE against X at the last one (below 1: stopping early gives a
    better model of X than training on)."""
    error = ((_outputs(ds).sel(set="X+N") - ds.spline) ** 2).mean("sample")
    return ratio(np.log(error.min("epoch") / error.isel(epoch=-1)))


@measure("linearity")
def frequency_slope(ds: xr.Dataset, fraction: float = 0.5) -> Estimate:
    """The slope of log(epochs to learn ``fraction`` of the target's
    variance) against log(frequency), fitted per trial (frequencies share a
    trial's initial weights and phase); 0: frequency does not matter, 2:
    the spectral-bias prediction for one-input ReLU networks."""
    epochs, reached = epochs_to_learn(ds, fraction)
    if epochs.sizes["frequency"] < 2:
        raise NotMeasurable("the frequency sweep needs two frequencies")
    # a trial that never learns its lowest frequency has no trend to give; one
    # that misses a higher one gives a lower bound (counted one record past the end)
    lowest = reached.isel(frequency=0)
    if not lowest.any():
        raise NotMeasurable(f"no trial learned {fraction:.0%} of the lowest frequency's variance in the sweep's epochs")
    slope = log_log_slope(epochs.where(lowest), "frequency")
    return per_trial(slope)
