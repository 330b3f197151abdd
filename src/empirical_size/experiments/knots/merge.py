"""E6's merge: the pieces at initialisation and after a few steps (its own
jobs) with those counted in E4's and E5's recorded weights, in one data set.
Its rule (``workflow/rules/knots.smk``) reads those experiments' data sets
too; ``python -m empirical_size knots-merge`` calls :func:`from_files`."""

from __future__ import annotations

import xarray as xr

from ...training.storage import load
from .analysis import summarise


def from_files(init: str, trained: list[str], minima: str | None, linearity: str | None) -> xr.Dataset:
    """E6's data set from its job files and E4's and E5's merged data sets
    (either may be left out); ``trained``: none when ``knots.steps`` is empty."""
    if len(trained) > 1:
        raise SystemExit(f"--trained takes one file, got {trained}")
    return summarise(
        load(init, required=("pieces",)),
        load(minima, required=("kernel_0",)) if minima else None,
        load(linearity, required=("kernel_0",)) if linearity else None,
        load(trained[0], required=("pieces_trained",)) if trained else None,
    )
