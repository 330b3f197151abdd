"""The paper's claims against the run at hand.

The paper's numbers live in ``paper_values.yaml`` only. For each claim this
module computes our value and its standard error from a merged data set,
checks that the data set was made at the paper's settings, and gives a
verdict:

``reproduced``        our value, give or take two standard errors, meets
                      the paper's (its value give or take the precision it
                      is stated to, or its range);
``not reproduced``    it does not;
``not comparable``    the data set was made at other settings (a scaled-down
                      grid, another optimizer), or is missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .merge import without_diverged
from .paper import SETTINGS
from .stats import mean_se

REFERENCE = Path(__file__).with_name("paper_values.yaml")
REPRODUCED, NOT_REPRODUCED, NOT_COMPARABLE = "reproduced", "not reproduced", "not comparable"


@dataclass(frozen=True)
class Claim:
    id: str
    experiment: str
    source: str
    statement: str
    measure: str
    low: float
    high: float
    value: float | None = None
    args: dict = field(default_factory=dict)
    requires: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float
    trials: int


def load_reference(path: str | Path = REFERENCE) -> tuple[dict, list[Claim]]:
    """``(paper_settings, claims)``: the paper's settings (:mod:`empirical_size.paper`)
    and the claims of the reference file."""
    import yaml

    doc = yaml.safe_load(Path(path).read_text())
    claims = []
    for c in doc["claims"]:
        if "range" in c:
            low, high = map(float, c["range"])
        else:
            low, high = c["value"] - c["tolerance"], c["value"] + c["tolerance"]
        keep = {k: c[k] for k in ("id", "experiment", "source", "statement", "measure")}
        claims.append(Claim(**keep, low=low, high=high, value=c.get("value"), args=c.get("args") or {}, requires=c.get("requires") or {}))
    return SETTINGS, claims


# -- our numbers ---------------------------------------------------------------
def _mean_se(per_trial: xr.DataArray) -> Estimate:
    per_trial = per_trial.where(np.isfinite(per_trial))  # an infinite log ratio counts as diverged
    mean, se = mean_se(per_trial)
    return Estimate(float(mean), float(se), int(per_trial.count()))


def dead_fraction(ds: xr.Dataset, layer: int, stage: str, sample: str) -> Estimate:
    """E1: fraction of a layer's neurons dead, mean over experiments."""
    from .experiments.degenerate import dead_fraction as fractions

    return _mean_se(fractions(ds).sel(layer=layer, stage=stage, sample=sample))


def max_mean_size(ds: xr.Dataset, depth: int) -> Estimate:
    """E2: the largest mean (over trials) size on the (n, epoch) map of one
    depth; the standard error is that of the cell where it is reached."""
    size = without_diverged(ds)[0].size.sel(depth=depth)
    mean = size.mean("trial")
    cell = mean.argmax(...)
    return _mean_se(size.isel(cell))


def perfect_fit_size(ds: xr.Dataset) -> Estimate:
    """E2: ``sum_i y_i^2`` of the largest data sets (the same at every depth)."""
    return _mean_se(without_diverged(ds)[0].sum_y2.sel(n=ds.n.max()).isel(depth=0))


def fitted_fraction(ds: xr.Dataset) -> Estimate:
    """E2: size over perfect-fit size at the largest ``n`` and last epoch,
    for the depth that fits most."""
    ds = without_diverged(ds)[0].sel(n=ds.n.max()).isel(epoch=-1)
    per_depth = [_mean_se(ds.size.sel(depth=d) / ds.sum_y2.sel(depth=d)) for d in ds.depth.values]
    return max(per_depth, key=lambda e: e.value)


def noise_rate_ratio(ds: xr.Dataset) -> Estimate:
    """E5: MSE against N of "diff" over that of "pure", at the last epoch of
    Figure 5; geometric mean over trials, standard error by the delta method."""
    from .experiments.linearity import diff_and_pure

    last = ds.attrs["mse_epochs"][-1] if "mse_epochs" in ds.attrs else int(ds.epoch.max())
    parts = diff_and_pure(ds.sel(epoch=[last]))
    log_ratio = np.log(parts.mse_diff / parts.mse_pure).isel(epoch=0)
    e = _mean_se(log_ratio)
    return Estimate(float(np.exp(e.value)), float(np.exp(e.value) * e.se), e.trials)


MEASURES = {f.__name__: f for f in (dead_fraction, max_mean_size, perfect_fit_size, fitted_fraction, noise_rate_ratio)}


# -- comparability and verdicts ----------------------------------------------
def run_config(ds: xr.Dataset) -> dict:
    """The config a merged data set records (its section, seed, dtype, optimizer)."""
    try:
        return json.loads(ds.attrs["config"])
    except (KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"data set of experiment {ds.attrs.get('experiment', '?')!r} records no config") from err


def _setting(section: dict, key: str):
    m = re.fullmatch(r"(max|min)\((\w+)\)", key)
    if m:
        values = section.get(m.group(2))
        return None if not values else (max if m.group(1) == "max" else min)(values)
    return section.get(key)


def differences(claim: Claim, config: dict, paper_settings: dict) -> list[str]:
    """Settings of the run that differ from those the paper's claim was made at."""
    section = config.get(claim.experiment, {})
    out = [f"{claim.experiment}.{k} = {_setting(section, k)!r} (paper: {v!r})" for k, v in claim.requires.items() if _setting(section, k) != v]
    for key, default in (("dtype", None), ("matmul_precision", "float32")):
        if key in paper_settings and config.get(key, default) != paper_settings[key]:
            out.append(f"{key} = {config.get(key, default)!r} (paper: {paper_settings[key]!r})")
    for k, v in paper_settings["optimizer"].items():
        ours = config.get("optimizer", {}).get(k)
        if ours is None or not np.isclose(ours, v, rtol=1e-12, atol=0):
            out.append(f"optimizer.{k} = {ours!r} (paper: {v!r})")
    return out


def _rests_on(section: dict, est: Estimate) -> str:
    """The trials and data sizes a verdict rests on, in words."""
    sizes = section.get("sizes") or []
    where = f"sizes {', '.join(map(str, sizes))}" if 0 < len(sizes) <= 8 else f"{len(sizes)} sizes, {min(sizes)}-{max(sizes)}" if sizes else ""
    where = where or (f"n = {section['n']}" if "n" in section else "")
    epochs = section.get("epochs") or section.get("steps")
    what = "epochs" if "epochs" in section else "steps"
    return "; ".join(x for x in (f"{est.trials} trials", where, f"{epochs} {what}" if epochs else "") if x)


def verdict(claim: Claim, est: Estimate) -> str:
    """Reproduced when ``value +- 2 SE`` meets the paper's interval."""
    spread = 2 * est.se if np.isfinite(est.se) else 0.0
    if not np.isfinite(est.value):
        return NOT_REPRODUCED
    return REPRODUCED if est.value + spread >= claim.low and est.value - spread <= claim.high else NOT_REPRODUCED


def table(datasets: dict[str, tuple[str, xr.Dataset | None]], reference: str | Path = REFERENCE):
    """One row per claim. ``datasets`` maps experiment name to
    ``(file name, merged data set or None)``. Returns a pandas DataFrame."""
    import pandas as pd

    paper_settings, claims = load_reference(reference)
    rows = []
    for claim in claims:
        source, ds = datasets.get(claim.experiment, ("", None))
        row = {
            "claim": claim.id,
            "statement": claim.statement,
            "paper_source": claim.source,
            "paper_value": claim.value if claim.value is not None else np.nan,
            "paper_low": claim.low,
            "paper_high": claim.high,
            "ours": np.nan,
            "ours_se": np.nan,
            "trials": 0,
            "rests_on": "",
            "verdict": NOT_COMPARABLE,
            "why": "",
            "data": source,
            "settings": "",
        }
        if ds is None:
            row["why"] = f"no {claim.experiment} data set in this run"
            rows.append(row)
            continue
        config = run_config(ds)
        section = config.get(claim.experiment, {})
        row["settings"] = json.dumps(
            {**{k: _setting(section, k) for k in claim.requires}, "dtype": config.get("dtype"), "optimizer": config.get("optimizer")},
            sort_keys=True,
        )
        diff = differences(claim, config, paper_settings)
        try:
            est = MEASURES[claim.measure](ds, **claim.args)
        except KeyError:  # the run has no such layer or depth: only possible at other settings
            est = Estimate(float("nan"), float("nan"), 0)
            diff = diff or [f"the data set has no {claim.args}"]
        row.update(ours=est.value, ours_se=est.se, trials=est.trials, rests_on=_rests_on(section, est))
        if diff:
            row["why"] = "run at other settings: " + "; ".join(diff)
        else:
            row["verdict"] = verdict(claim, est)
            row["why"] = f"paper's interval [{claim.low:g}, {claim.high:g}]; ours {est.value:.4g} +- 2 x {est.se:.2g}"
        rows.append(row)
    return pd.DataFrame(rows)


# -- the paper's intervals for E7's figures -----------------------------------
def dead_band(ds: xr.Dataset) -> tuple[float, float] | None:
    """The paper's interval for the E1 layer of E7's data set, if the run can
    be compared with it."""
    settings, claims = load_reference()
    config = run_config(ds)
    for claim in claims:
        if claim.measure == "dead_fraction" and claim.args.get("layer") == int(ds.layer.max()):
            if not differences(claim, config, settings):
                return claim.low, claim.high
    return None


def size_bands(ds: xr.Dataset) -> dict[int, tuple[float, float]]:
    """The paper's interval for E2's largest mean size, per depth, where E7's
    E2 point is at the paper's settings (its n the paper's largest)."""
    settings, claims = load_reference()
    config = run_config(ds)
    config = {**config, "size": {**config.get("size", {}), "sizes": [ds.attrs["e2_n"]]}}
    return {
        claim.args["depth"]: (claim.low, claim.high)
        for claim in claims
        if claim.measure == "max_mean_size" and not differences(claim, config, settings)
    }


# -- what a figure's run changed from the paper ----------------------------------
def _section_differences(ours: dict, theirs: dict, prefix: str = "") -> list[str]:
    out = []
    for key in theirs:
        if key not in ours or key in SPEED_ONLY or ours[key] == theirs[key]:
            continue
        if isinstance(ours[key], dict) and isinstance(theirs[key], dict):  # E7's sensitivity.size
            out += _section_differences(ours[key], theirs[key], f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key} {_shown(ours[key])} (paper {_shown(theirs[key])})")
    return out


SPEED_ONLY = ("trials_per_job", "pack_width", "pack", "report_layers")  # keys that change no number


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, list) and len(value) > 4 and all(isinstance(v, (int, float)) for v in value):
        return f"{min(value):g}-{max(value):g} ({len(value)})"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def paper_differences(run: dict, paper: dict, section: str) -> list[str]:
    """The settings of ``section`` (and precision, optimizer) where a run's
    recorded config differs from the paper's (``config/paper.yaml``), as
    ``key ours (paper theirs)``, for a figure's footer."""
    out = _section_differences(run.get(section, {}), paper.get(section, {}))
    for key in ("dtype", "matmul_precision"):
        if key in run and run[key] != SETTINGS[key]:
            out.append(f"{key} {run[key]} (paper {SETTINGS[key]})")
    for key, value in SETTINGS["optimizer"].items():
        mine = run.get("optimizer", {}).get(key)
        if mine is not None and not np.isclose(mine, value, rtol=1e-12, atol=0):
            out.append(f"Adadelta {key} {mine:g} (paper {value:g})")
    return out


def dead_points() -> dict[int, tuple[float, float, float]]:
    """The paper's E1 values, layer -> (value, low, high), for its figure."""
    return {
        claim.args["layer"]: (claim.value, claim.low, claim.high)
        for claim in load_reference()[1]
        if claim.measure == "dead_fraction" and claim.value is not None
    }
