"""Combining per-job data sets into one data set per experiment."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..training.storage import load


def _points(ds: xr.Dataset, grid: Sequence[str]):
    """A job file's grid points: itself, or, for a packed job whose file has
    grid dimensions (E2's ``n``), one data set per point along them."""
    dims = [g for g in grid if g in ds.dims]
    if not dims:
        yield ds
        return
    for index in itertools.product(*(range(ds.sizes[g]) for g in dims)):
        yield ds.isel(dict(zip(dims, index)))


def merge_jobs(
    paths: Sequence[str],
    grid: Sequence[str],
    required: Sequence[str],
    experiment: str,
    broadcast: dict[str, Sequence] | None = None,
) -> xr.Dataset:
    """Concatenate job files along ``trial`` and stack them over the ``grid``
    dimensions (each job holds scalar coordinates for those, or, packed,
    dimensions that split into points).

    A job file without one of the ``broadcast`` coordinates stands for every
    listed value of it (E3's full-batch points serve every variant).
    Attributes shared by every job are kept; those that differ (wall time,
    host, ...) are summarised. Fails naming the file when one is unreadable,
    lacks a variable or a grid coordinate, or repeats another's trials, and
    naming the grid point when points differ in trials or epochs.
    """
    broadcast = dict(broadcast or {})
    if not paths:
        raise ValueError(f"{experiment}: no job files to merge")
    parts = _parts(paths, grid, required, experiment, broadcast)
    # Chunks of one grid point join along trial; points then stack along a
    # temporary dimension that unstacks into the grid (strings work too).
    points = {}
    for point, ds in parts:
        points.setdefault(point, []).append(ds)
    joined = [
        xr.concat(chunks, dim="trial", data_vars="minimal", coords="minimal", compat="equals", combine_attrs="drop_conflicts").sortby("trial")
        for _, chunks in sorted(points.items())
    ]
    _same_trials_and_epochs(experiment, grid, sorted(points), joined)
    merged = _stacked(joined, grid, sorted(points)) if grid else joined[0]
    merged.attrs.pop("wall_seconds", None)
    if "diverged" in merged:
        merged.attrs["diverged_trials"] = int(merged.diverged.fillna(0).sum())
    merged.attrs.update(
        experiment=experiment,
        jobs=len(parts),
        total_wall_seconds=round(sum(float(ds.attrs.get("wall_seconds", 0.0)) for _, ds in parts), 3),
        devices=json.dumps(sorted({str(ds.attrs.get("device", "")) for _, ds in parts})),
    )
    return merged


def _parts(paths, grid, required, experiment: str, broadcast: dict) -> list[tuple[tuple, xr.Dataset]]:
    """Every job file's grid points, each ``(point, data set without the grid's
    coordinates)``; a file without a broadcast coordinate stands for each of
    its values. Fails naming a file that is not a job file of the experiment
    or repeats another's trials."""
    parts, seen = [], {}
    for path, ds in ((p, point) for p in paths for point in _points(load(p, required=tuple(required)), grid)):
        missing = [g for g in grid if (g not in ds.coords or ds[g].ndim != 0) and g not in broadcast]
        if missing or "trial" not in ds.dims:
            raise ValueError(f"{path}: not a {experiment} job file (needs scalar coordinates {list(grid)} and a 'trial' dimension)")
        options = [[ds[g].item()] if g in ds.coords else list(broadcast[g]) for g in grid]
        base = ds.drop_vars([g for g in grid if g in ds.coords])
        for point in itertools.product(*options):
            for t in ds.trial.values.tolist():
                if (point, t) in seen:
                    raise ValueError(f"{path}: trial {t} at {dict(zip(grid, point))} also in {seen[(point, t)]}")
                seen[(point, t)] = path
            parts.append((point, base))
    return parts


def _same_trials_and_epochs(experiment: str, grid, labels, joined) -> None:
    """Every grid point has the first one's trials and epochs (else a job file is missing or foreign)."""
    first = joined[0]
    for point, ds in zip(labels, joined):
        for dim in ("trial", "epoch"):
            if dim in first.dims and not np.array_equal(ds[dim].values, first[dim].values):
                raise ValueError(
                    f"{experiment}: grid point {dict(zip(grid, point))} has {dim}s {ds[dim].values.tolist()}, "
                    f"another has {first[dim].values.tolist()} (a missing or foreign job file?)"
                )


def _stacked(joined, grid, labels) -> xr.Dataset:
    """The grid points' data sets stacked into the grid's dimensions, labelled
    from Python values (concatenating the jobs' own scalar string
    coordinates would truncate longer labels)."""
    merged = xr.concat(joined, dim="point", data_vars="all", coords="different", compat="equals", join="exact", combine_attrs="drop_conflicts")
    if len(grid) == 1:
        merged = merged.assign_coords({grid[0]: ("point", [p[0] for p in labels])}).swap_dims(point=grid[0])
    else:
        index = pd.MultiIndex.from_tuples(labels, names=list(grid))
        merged = merged.assign_coords(xr.Coordinates.from_pandas_multiindex(index, "point")).unstack("point")
    return merged.transpose(*grid, "trial", ...).sortby(list(grid) + ["trial"])


def without_diverged(ds: xr.Dataset) -> tuple[xr.Dataset, int]:
    """The data set with diverged trials masked out (NaN), and how many there were."""
    if "diverged" not in ds:
        return ds, 0
    bad = ds.diverged.astype(bool)
    kept = ds.copy()
    for var in ("mse", "size", "sum_y2"):
        if var in kept:
            kept[var] = kept[var].where(~bad)
    return kept, int(bad.sum())
