"""E7 (beyond the paper): how E1's and E2's headline numbers move with the
settings the paper does not pin down or that changed between Keras versions.

Each setting changes one knob (Adadelta epsilon or learning rate, precision,
batch size) from the run's own settings, with the seeds of E1 and E2, so the
settings differ by the knob only. The measure's definition is the fourth
knob: E1 counts neurons dead on the training data and on fresh inputs.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .merge import without_diverged
from .storage import load


def merge(degenerate: dict[str, str], size: dict[str, str], settings: dict[str, dict], n: int | None = None) -> xr.Dataset:
    """One data set over ``setting`` from the E1 and E2 job files of each
    setting (label -> path, in the order of ``degenerate``). E1's trials are
    ``e1_trial``, E2's ``e2_trial``. An E2 file of packed sizes (the baseline
    can be E2's own packed job) gives its size ``n``."""
    labels = list(degenerate)
    missing = [label for label in settings if label not in degenerate or label not in size]
    missing += [label for label in labels if label not in settings]
    if missing:
        raise ValueError(f"sensitivity: settings {missing} lack an E1 job file, an E2 job file or an entry in --settings")
    e1 = [load(degenerate[label], required=("dead",)) for label in labels]
    e2 = [_point(load(size[label], required=("mse", "size", "sum_y2")), n, size[label]) for label in labels]
    for kind, parts, paths in (("E1", e1, degenerate), ("E2", e2, size)):
        for label, ds in zip(labels, parts):
            if not ds.trial.equals(parts[0].trial):
                raise ValueError(f"{paths[label]}: {kind} trials {ds.trial.values.tolist()} differ from {paths[labels[0]]}'s")
    keep = ["mse", "size", "sum_y2", "diverged", "steps_per_epoch"]
    e2 = [ds[[v for v in keep if v in ds]].reset_coords(drop=True) for ds in e2]
    e1_vars = [ds[["dead", "diverged"]].rename(diverged="e1_diverged") if "diverged" in ds else ds[["dead"]] for ds in e1]
    dead = xr.concat(e1_vars, dim="setting", join="exact").rename(trial="e1_trial")
    fit = xr.concat(e2, dim="setting", join="exact").rename(trial="e2_trial")
    knob = [next(iter(settings[label]), "") for label in labels]
    value = [str(next(iter(settings[label].values()), "")) for label in labels]
    out = xr.merge([dead.reset_coords(drop=True), fit], combine_attrs="drop").assign_coords(
        setting=("setting", labels, {"description": "one knob changed from the run's own settings ('baseline')"}),
        knob=("setting", knob),
        value=("setting", value),
    )
    out = out.sel(setting=labels)  # merging sorts labels; keep the config's order
    first = _point(load(size[labels[0]]), n, size[labels[0]])
    out.attrs.update(
        experiment="sensitivity",
        e1_width=int(e1[0].attrs["width"]),
        e2_depth=int(first.depth),
        e2_n=int(first.n),
        settings=json.dumps(settings, sort_keys=True),
    )
    return out


def _point(ds: xr.Dataset, n: int | None, path: str) -> xr.Dataset:
    if "n" not in ds.dims:
        return ds
    if n is None or n not in ds.n.values:
        raise ValueError(f"{path}: a job of packed sizes {ds.n.values.tolist()}; E7's n ({n}) is not among them")
    return ds.sel(n=n)


def _mean_se(a: xr.DataArray, dim: str) -> tuple[np.ndarray, np.ndarray]:
    n = a.count(dim)
    return a.mean(dim).values, (a.std(dim, ddof=1) / np.sqrt(n)).values


def summarise(ds: xr.Dataset):
    """Per setting: E1's deepest-layer dead fraction after training (on the
    data, on fresh inputs) and E2's size at the last epoch, mean and standard
    error; diverged E2 trials left out. Returns a pandas DataFrame."""
    import pandas as pd

    layer = int(ds.layer.max())
    dead = ds.dead.sel(stage="trained", layer=layer) / ds.attrs["e1_width"]
    if "e1_diverged" in ds:
        dead = dead.where(~ds.e1_diverged.astype(bool))
    size = without_diverged(ds)[0]["size"].isel(epoch=-1)
    out = pd.DataFrame({"setting": ds.setting.values, "knob": ds.knob.values, "value": ds.value.values})
    for sample in ("data", "fresh"):
        out[f"e1_dead_layer{layer}_{sample}"], out[f"e1_dead_layer{layer}_{sample}_se"] = _mean_se(dead.sel(sample=sample), "e1_trial")
    out["e2_size"], out["e2_size_se"] = _mean_se(size, "e2_trial")
    out["e2_perfect_fit_size"] = ds.sum_y2.mean("e2_trial").values
    out["e2_diverged"] = ds.diverged.sum("e2_trial").values if "diverged" in ds else 0
    out.attrs.update(layer=layer, depth=ds.attrs["e2_depth"], n=ds.attrs["e2_n"], epoch=int(ds.epoch[-1]))
    return out
