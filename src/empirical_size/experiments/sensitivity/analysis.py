"""E7 (beyond the paper): how E1's and E2's headline numbers move with the
settings the paper does not pin down or that changed between Keras versions.

Each setting changes one knob (Adadelta epsilon or learning rate, precision,
batch size, input distribution) from the run's own settings, or epsilon at
another learning rate, with the seeds of E1 and E2, so the settings differ
by their knobs only. E2 runs at one size ``n`` and one or more depths. The
measure's definition is a further knob: E1 counts neurons dead on the
training data and on fresh inputs.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ...analysis.merge import without_diverged
from ...analysis.stats import mean_se
from ...training.storage import load

# the paper's numbers E7 holds each setting to (claims of paper_values.yaml, by id)
PAPER_CLAIMS = tuple(f"E1_dead_layer{layer}" for layer in (3, 10, 20)) + tuple(f"E2_max_size_depth{d}" for d in (2, 3, 4))

E2_VARS = ("mse", "size", "sum_y2", "diverged", "steps_per_epoch")


def merge(degenerate: dict[str, str], size: list[tuple[str, str]], settings: dict[str, dict], n: int | None = None, baseline: dict | None = None) -> xr.Dataset:
    """One data set over ``setting`` (and ``depth`` for E2) from the job files:
    ``degenerate`` maps each label to its E1 file, in the settings' order;
    ``size`` lists ``(label, E2 file)``, one per depth a setting trained at
    (read from the file). A setting not trained at a depth is NaN there.
    E1's trials are ``e1_trial``, E2's ``e2_trial``. An E2 file of packed
    sizes (the baseline can be E2's own packed job) gives its size ``n``.
    ``baseline`` (knob -> the run's value) adds each knob's value at every
    setting as a coordinate."""
    labels = list(degenerate)
    with_e2 = {label for label, _ in size}
    missing = [label for label in settings if label not in degenerate or label not in with_e2]
    missing += [label for label in labels + sorted(with_e2) if label not in settings]
    if missing:
        raise ValueError(f"sensitivity: settings {missing} lack an E1 job file, an E2 job file or an entry in --settings")
    e1 = [load(degenerate[label], required=("dead",)) for label in labels]
    _same_trials("E1", e1, [degenerate[label] for label in labels])
    e1_vars = [ds[["dead", "diverged"]].rename(diverged="e1_diverged") if "diverged" in ds else ds[["dead"]] for ds in e1]
    dead = xr.concat(e1_vars, dim="setting", join="exact").rename(trial="e1_trial").assign_coords(setting=labels)
    fit, e2_n = _e2_by_depth(size, labels, n)
    knob = ["+".join(settings[label]) for label in labels]
    value = [",".join(str(v) for v in settings[label].values()) for label in labels]
    out = xr.merge([dead.reset_coords(drop=True), fit], combine_attrs="drop").assign_coords(
        setting=("setting", labels, {"description": "knobs changed from the run's own settings ('baseline')"}),
        knob=("setting", knob),
        value=("setting", value),
    )
    out = _with_knob_values(out, settings, labels, baseline or {})
    out = out.sel(setting=labels)  # merging sorts labels; keep the config's order
    out.attrs.update(experiment="sensitivity", e1_width=int(e1[0].attrs["width"]), e2_n=e2_n, settings=json.dumps(settings, sort_keys=True))
    return out


def _e2_by_depth(size: list[tuple[str, str]], labels: list[str], n: int | None) -> tuple[xr.Dataset, int]:
    """E2's variables over ``(depth, setting, e2_trial, ...)`` and their one n;
    a setting not trained at a depth is NaN there (diverged 0, trained False)."""
    points = [(label, path, _point(load(path, required=("mse", "size", "sum_y2")), n, path)) for label, path in size]
    _same_trials("E2", [p[2] for p in points], [p[1] for p in points])
    sizes = {int(ds.n) for _, _, ds in points}
    if len(sizes) > 1:
        raise ValueError(f"sensitivity: E2 files of sizes {sorted(sizes)}; E7's E2 points share one n")
    per_depth = []
    for depth in sorted({int(p[2].depth) for p in points}):
        at = [(label, ds) for label, _, ds in points if int(ds.depth) == depth]
        parts = [ds[[v for v in E2_VARS if v in ds]].reset_coords(drop=True) for _, ds in at]
        part = xr.concat(parts, dim="setting", join="exact").assign_coords(setting=[label for label, _ in at])
        part["trained"] = ("setting", np.ones(len(at), dtype=bool))
        part = part.reindex(setting=labels, fill_value={"diverged": 0, "trained": False, "steps_per_epoch": 0})
        per_depth.append(part.expand_dims(depth=[depth]))
    fit = xr.concat(per_depth, dim="depth").rename(trial="e2_trial")
    for var in fit.data_vars.values():
        var.encoding.pop("dtype", None)  # the job files' integer encodings cannot hold NaN
    fit["trained"].attrs["description"] = "whether the setting trained E2 at this depth (sensitivity.size.extra)"
    fit["steps_per_epoch"].attrs["description"] = "gradient steps per epoch; 0 where not trained"
    return fit, int(points[0][2].n)


def _with_knob_values(out: xr.Dataset, settings: dict[str, dict], labels: list[str], baseline: dict) -> xr.Dataset:
    """Each knob's value at every setting as a coordinate (the run's own where a setting leaves it)."""
    for name, base in baseline.items():
        values = [settings[label].get(name, base) for label in labels]
        if name == "batch_size":  # None (full batch) is 0 in a file
            out = out.assign_coords(batch_size=("setting", [v or 0 for v in values], {"description": "samples per step; 0: full batch"}))
        else:
            out = out.assign_coords({name: ("setting", values)})
    return out


def _same_trials(kind: str, parts: list[xr.Dataset], paths: list[str]) -> None:
    for ds, path in zip(parts, paths):
        if not np.array_equal(ds.trial.values, parts[0].trial.values):
            raise ValueError(f"{path}: {kind} trials {ds.trial.values.tolist()} differ from {paths[0]}'s")


def _point(ds: xr.Dataset, n: int | None, path: str) -> xr.Dataset:
    if "n" not in ds.dims:
        return ds
    if n is None or n not in ds.n.values:
        raise ValueError(f"{path}: a job of packed sizes {ds.n.values.tolist()}; E7's n ({n}) is not among them")
    return ds.sel(n=n)


def e1_dead(ds: xr.Dataset, sample: str = "data", layer: int | None = None) -> xr.DataArray:
    """E1's dead fraction after training in ``layer`` (the deepest unless
    given), per setting and experiment; diverged experiments are NaN."""
    layer = int(ds.layer.max()) if layer is None else layer
    dead = ds.dead.sel(stage="trained", layer=layer, sample=sample) / ds.attrs["e1_width"]
    return dead.where(~ds.e1_diverged.astype(bool)) if "e1_diverged" in ds else dead


def largest_mean_size(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """E2's largest mean size over the recorded epochs (the paper's Figure 1
    measure at E7's n), per setting and depth, and the standard error of
    the epoch where it is reached; diverged trials left out."""
    size = without_diverged(ds)[0]["size"]
    mean, se = mean_se(size, "e2_trial")
    at = mean.fillna(-np.inf).argmax("epoch")
    return mean.isel(epoch=at), se.isel(epoch=at)


def summarise(ds: xr.Dataset):
    """Per setting: E1's deepest-layer dead fraction after training (on the
    data, on fresh inputs), and per depth E2's size at the last epoch and
    its largest mean size over epochs, each mean and standard error;
    diverged E2 trials left out. Returns a pandas DataFrame."""
    import pandas as pd

    layer = int(ds.layer.max())
    out = pd.DataFrame({"setting": ds.setting.values, "knob": ds.knob.values, "value": ds.value.values})
    for sample in ("data", "fresh"):
        mean, se = mean_se(e1_dead(ds, sample), "e1_trial")
        out[f"e1_dead_layer{layer}_{sample}"], out[f"e1_dead_layer{layer}_{sample}_se"] = mean.values, se.values
    last, last_se = mean_se(without_diverged(ds)[0]["size"].isel(epoch=-1), "e2_trial")
    top, top_se = largest_mean_size(ds)
    for depth in ds.depth.values:
        trained = ds.trained.sel(depth=depth).values.astype(bool)
        at = dict(depth=depth)
        out[f"e2_depth{depth}_size"], out[f"e2_depth{depth}_size_se"] = last.sel(at).values, last_se.sel(at).values
        out[f"e2_depth{depth}_largest_mean_size"], out[f"e2_depth{depth}_largest_mean_size_se"] = top.sel(at).values, top_se.sel(at).values
        diverged = ds.diverged.sel(at).sum("e2_trial").values if "diverged" in ds else np.zeros(len(out))
        out[f"e2_depth{depth}_diverged"] = np.where(trained, diverged, np.nan)
    out["e2_perfect_fit_size"] = ds.sum_y2.mean(("depth", "e2_trial")).values
    out["paper_largest_ratio"], out["paper_all_within"] = paper_distance(ds)
    out.attrs.update(layer=layer, depths=ds.depth.values.tolist(), n=ds.attrs["e2_n"], epoch=int(ds.epoch[-1]))
    return out


def held_numbers(ds: xr.Dataset) -> list[tuple[np.ndarray, object]]:
    """The paper's E1 dead fractions and E2 largest mean sizes this run can
    be held to, as (our mean per setting, the paper's claim); none where
    its settings are not the paper's."""
    from ...analysis.reproduction import e7_claims

    top = largest_mean_size(ds)[0]
    ours = []
    for (kind, at), claim in e7_claims(ds, PAPER_CLAIMS).items():
        if kind == "e1" and at in ds.layer.values:
            ours.append((e1_dead(ds, layer=at).mean("e1_trial").values, claim))
        elif kind == "e2" and at in ds.depth.values:
            ours.append((top.sel(depth=at).values, claim))
    return ours


def paper_distance(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Per setting, how far E7's numbers lie from the paper's E1 dead
    fractions (layers 3, 10, 20) and E2 largest mean sizes (depths 2-4)
    that the run can be held to: the largest of ours / paper and paper /
    ours over them (1: all equal), and whether every mean lies in the
    paper's interval (its stated precision). NaN where the run is held to
    none, or a setting lacks one of them (not trained at a depth)."""
    ours = held_numbers(ds)
    if not ours:
        nothing = np.full(ds.sizes["setting"], np.nan)
        return nothing, nothing
    with np.errstate(divide="ignore"):  # none dead where the paper has some: infinitely far
        ratios = np.stack([np.maximum(m / c.value, c.value / m) for m, c in ours])
    within = np.stack([(c.low <= m) & (m <= c.high) for m, c in ours])
    complete = ~np.isnan(ratios).any(axis=0)
    return np.where(complete, ratios.max(axis=0), np.nan), np.where(complete, within.all(axis=0), np.nan)


def landing_table(name, frame):
    """The report's first page: the table as it is, titled."""
    return "E7: sensitivity (results/sensitivity.csv)", frame


TABLES = {"sensitivity": summarise}  # the CLI's `table` choices (its record's tables)
