"""E4's claims: learning from the inside out, and local minima (Figure 3)."""

from __future__ import annotations

import xarray as xr

from ...analysis.claims import PAIRED_T, Estimate, NotMeasurable, inside_out, measure, per_trial

BINS = 10  # of |x|: one per half tooth of the paper's 10-tooth sawtooth on [-1, 1]


HALF = "half"  # an epoch argument: each trial at its checkpoint nearest half fitted


def _fit(ds: xr.Dataset, variant: str, epoch: int | None) -> tuple[xr.DataArray, xr.DataArray]:
    """``(output, target)`` on the plotting grid of one variant at one epoch
    (every recorded epoch when None)."""
    if variant not in ds.variant.values:
        raise NotMeasurable(f"no minima variant {variant!r} in this run")
    if epoch is not None and epoch not in ds.epoch.values:
        raise NotMeasurable(f"epoch {epoch} not recorded (minima.checkpoints: {ds.epoch.values.tolist()})")
    v = ds.sel(variant=variant)
    output = v.output if epoch is None else v.output.sel(epoch=epoch)
    if "diverged" in v:
        output = output.where(~v.diverged.astype(bool))
    return output, v.target


def half_fitted(ds: xr.Dataset, variant: str) -> xr.DataArray:
    """Per trial, the index of the recorded epoch at which ``variant``'s fit
    has its relative error (:func:`relative_error`) nearest 1/2: where the
    error has fallen in one part of the domain and not yet in the other."""
    output, target = _fit(ds, variant, None)
    relative = ((output - target) ** 2).mean("x") / target.var("x")
    return abs(relative - 0.5).fillna(float("inf")).argmin("epoch")


def inside_out_index(ds: xr.Dataset, variant: str, epoch: int | str, at: str | None = None) -> xr.DataArray:
    """Per trial: Spearman's correlation of ``|x|`` with the squared error
    on the grid, in :data:`BINS` bins (:func:`~empirical_size.analysis.claims.inside_out`),
    at ``epoch`` or, for ``"half"``, at the checkpoint where ``at``'s fit
    (``variant``'s by default) is nearest half fitted, trial by trial."""
    if epoch != HALF:
        output, target = _fit(ds, variant, epoch)
        return inside_out((output - target) ** 2, ds.x, "x", BINS)
    output, target = _fit(ds, variant, None)
    return inside_out((output - target) ** 2, ds.x, "x", BINS).isel(epoch=half_fitted(ds, at or variant))


@measure("minima")
def inside_out_fit(ds: xr.Dataset, variant: str, epoch: int | str) -> Estimate:
    """How much the error grows away from x = 0 at ``epoch`` (or ``"half"``:
    each trial half fitted): +1 when the fit spreads from the origin outward."""
    return per_trial(inside_out_index(ds, variant, epoch))


@measure("minima")
def inside_out_contrast(ds: xr.Dataset, epoch: int | str, variant: str = "zero", against: str = "uniform") -> Estimate:
    """The inside-out index of ``variant`` minus that of ``against``, paired
    by trial (the variants share their initial kernels); for ``"half"``, both
    at the checkpoint where ``variant``'s fit is nearest half fitted."""
    return per_trial(inside_out_index(ds, variant, epoch) - inside_out_index(ds, against, epoch, at=variant), PAIRED_T)


@measure("minima")
def relative_error(ds: xr.Dataset, variant: str, epoch: int) -> Estimate:
    """The fit's mean squared error on the grid over the target's variance
    (0: a perfect fit; 1: no better than the target's mean)."""
    output, target = _fit(ds, variant, epoch)
    return per_trial(((output - target) ** 2).mean("x") / target.var("x"))


@measure("minima")
def relative_change(ds: xr.Dataset, variant: str, epochs: list[int]) -> Estimate:
    """How far the output moves from ``epochs[0]`` to ``epochs[1]``, over how
    far it still is from the target: ``mean (f1 - f0)^2 / mean (f1 - t)^2``
    on the grid (0: it does not change with more training)."""
    before, _ = _fit(ds, variant, epochs[0])
    after, target = _fit(ds, variant, epochs[1])
    return per_trial(((after - before) ** 2).mean("x") / ((after - target) ** 2).mean("x"))
