"""E6's claims: how many linear pieces trained networks have."""

from __future__ import annotations

import numpy as np
import xarray as xr

from . import Estimate, NotMeasurable, measure, per_trial


@measure("knots")
def pieces_exponent(ds: xr.Dataset, step: int | None = None, depth: int | None = None) -> Estimate:
    """After ``step`` training steps from the paper's initialisation (the
    largest recorded when None), at ``depth`` hidden layers (the deepest
    when None): the slope of log(pieces) against log(width N), fitted per
    trial. O(NK) pieces give 1 or less, O(N^K) give K."""
    if "pieces_trained" not in ds:
        raise NotMeasurable("no trained E6 networks in this run (knots.steps is empty)")
    pieces = ds.pieces_trained
    step = int(pieces.step.max()) if step is None else step
    depth = int(pieces.depth.max()) if depth is None else depth
    if step not in pieces.step.values or depth not in pieces.depth.values or pieces.sizes["width"] < 2:
        raise NotMeasurable(f"no step {step} at depth {depth} over two widths or more")
    counts = pieces.sel(step=step, depth=depth).astype(float)
    counts = counts.where(counts > 0)  # -1: the network's weights went non-finite (diverged)
    logn = np.log(counts.width.astype(float))
    centred = logn - logn.mean()
    logp = np.log(counts)
    slope = ((logp - logp.mean("width")) * centred).sum("width") / (centred**2).sum()
    return per_trial(slope.where(logp.notnull().all("width")))


@measure("knots", "minima")
def pieces_per_neuron_during_training(knots: xr.Dataset, minima: xr.Dataset, variant: str = "zero") -> Estimate:
    """E4's networks during training: the most pieces at any recorded epoch
    over N*K (width times hidden layers), per trial."""
    if "pieces_minima" not in knots:
        raise NotMeasurable("the E6 data set has no counts of E4's networks")
    pieces = knots.pieces_minima
    if variant not in pieces.minima_variant.values:
        raise NotMeasurable(f"no minima variant {variant!r} in this run")
    neurons = pieces.attrs["width"] * pieces.attrs["depth"]
    return per_trial(pieces.sel(minima_variant=variant).max("minima_epoch") / neurons)
