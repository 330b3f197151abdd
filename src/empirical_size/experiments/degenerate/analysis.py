"""E1's summaries from its merged data set: the fraction of each layer's
neurons dead, and its table (never imported by training)."""

from __future__ import annotations

import xarray as xr

from ...analysis.stats import mean_se


def dead_fraction(ds: xr.Dataset) -> xr.DataArray:
    """Fraction of each layer's neurons dead; diverged experiments are NaN."""
    frac = ds.dead / ds.attrs["width"]
    return frac.where(~ds.diverged.astype(bool)) if "diverged" in ds else frac


def table(ds: xr.Dataset):
    """Fraction dead per layer: mean and standard error over experiments,
    one column pair per (stage, sample). Returns a pandas DataFrame."""
    import pandas as pd

    frac = dead_fraction(ds)
    mean, sem = mean_se(frac, "trial")
    out = pd.DataFrame({"layer": ds.layer.values})
    for stage in ds.stage.values:
        for sample in ds.sample.values:
            out[f"{stage}_{sample}_mean"] = mean.sel(stage=stage, sample=sample).values
            out[f"{stage}_{sample}_sem"] = sem.sel(stage=stage, sample=sample).values
    return out


def landing_table(name, frame):
    """The report's first page: in percent, as the paper gives them."""
    frame = frame.assign(**{c: 100 * frame[c] for c in frame.columns if c.endswith(("_mean", "_sem"))})
    return "E1: dead neurons per hidden layer, % of the layer (results/degenerate.csv)", frame


TABLES = {"degenerate": table}  # the CLI's `table` choices (its record's tables)
