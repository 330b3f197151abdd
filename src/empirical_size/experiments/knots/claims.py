"""E6's claims: how many linear pieces trained networks have."""

from __future__ import annotations

import xarray as xr

from ...analysis.claims import Estimate, NotMeasurable, log_log_slope, measure, per_trial


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
    if step == 0:
        raise NotMeasurable("no training step recorded after step 0 (knots.steps): the networks are untrained, every kink at 0")
    counts = pieces.sel(step=step, depth=depth).astype(float)
    return per_trial(log_log_slope(counts.where(counts > 0), "width"))  # -1: the weights went non-finite (diverged)


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
    counts = pieces.sel(minima_variant=variant)
    counts = counts.where((counts > 0).all("minima_epoch"))  # -1: the weights went non-finite (diverged)
    return per_trial(counts.max("minima_epoch") / neurons)


@measure("knots")
def pieces_exponent_in_depth(ds: xr.Dataset, step: int | None = None, width: int | None = None) -> Estimate:
    """As :func:`pieces_exponent`, in the depth K at width ``width`` (the
    widest when None): the slope of log(pieces) against log(K), per trial.
    O(NK) pieces give 1 or less; O(N^K) grow as exp(K log N), a slope of
    about (K_max - K_min) log N / log(K_max / K_min) (13 for N = 500, K 1-4)."""
    if "pieces_trained" not in ds:
        raise NotMeasurable("no trained E6 networks in this run (knots.steps is empty)")
    pieces = ds.pieces_trained
    step = int(pieces.step.max()) if step is None else step
    width = int(pieces.width.max()) if width is None else width
    if step == 0 or step not in pieces.step.values or width not in pieces.width.values or pieces.sizes["depth"] < 2:
        raise NotMeasurable(f"no trained step {step} at width {width} over two depths or more")
    counts = pieces.sel(step=step, width=width).astype(float)
    return per_trial(log_log_slope(counts.where(counts > 0), "depth"))

