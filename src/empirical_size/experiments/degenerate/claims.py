"""E1's claims: dead neurons per layer."""

from __future__ import annotations

import xarray as xr

from ...analysis.claims import Estimate, measure, per_trial


@measure("degenerate")
def dead_fraction(ds: xr.Dataset, layer: int, stage: str, sample: str) -> Estimate:
    """Fraction of a layer's neurons dead, mean over experiments."""
    from .analysis import dead_fraction as fractions

    return per_trial(fractions(ds).sel(layer=layer, stage=stage, sample=sample))
