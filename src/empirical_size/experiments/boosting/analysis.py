"""E8's answer from its merged data set: for each target family, known
function ``L`` and amplitude ``a``, the boosted fit's error over plain
training's (``a = 0``), per trial (paired: same initial weights, same
target), at matched epochs (the last recorded) and at each one's own best
epoch (early stopping); mean and paired standard error over trials, and a
verdict from the paired 95% t-interval. A family's verdict is that of its pre-specified summary:
each trial's ratio at the best epoch averaged over every ``L`` and ``a > 0``.

The quality of a fit is its error against the function a family has to
learn, on the fine grid (``high``, ``high+noise``); for ``noise``, whose
"function" is the noise itself (the paper's case), its training error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

VERDICTS = ("improves", "no difference", "worse", "not comparable")


def quality(ds: xr.Dataset, family: str, kind: str = "boosted") -> xr.DataArray:
    """The error that judges ``family``'s fits, ``(low, amplitude, trial, epoch)``;
    ``kind`` ``boosted`` (subtracting ``a s L``) or ``diff`` (the paper's)."""
    name = "train_error" if family == "noise" else "function_error"
    if kind == "diff":
        name += "_diff"
    return ds[name].sel(family=family)


def trial_ratios(error: xr.DataArray, at: str = "best") -> xr.DataArray:
    """Each trial's error over its plain training's (``amplitude`` 0), at the
    last recorded epoch (``matched``) or each at its own best epoch (``best``,
    over the trained epochs); ``(low, amplitude, trial)``, amplitudes > 0."""
    trained = error.sel(epoch=error.epoch > 0)
    value = trained.isel(epoch=-1) if at == "matched" else trained.min("epoch", skipna=False)
    plain = value.sel(amplitude=0.0)
    return (value / plain).sel(amplitude=value.amplitude > 0)


def verdict(ratios, z: float | None = None) -> tuple[float, float, str]:
    """Mean and paired s.e. of per-trial ratios, and the verdict from the
    interval of ``z`` s.e. either side (default: the 95% Student's t
    quantile on the trials' degrees of freedom): ``improves`` (wholly below
    1), ``worse`` (wholly above), ``no difference`` (across 1: none told);
    ``not comparable`` with fewer than 2 finite trials."""
    from ...analysis.stats import t_quantile

    r = np.asarray(ratios, dtype=float).ravel()
    if r.size < 2 or not np.isfinite(r).all():
        return float("nan"), float("nan"), "not comparable"
    mean, se = float(r.mean()), float(r.std(ddof=1) / np.sqrt(r.size))
    z = t_quantile(r.size - 1) if z is None else z
    if mean + z * se < 1.0:
        return mean, se, "improves"
    if mean - z * se > 1.0:
        return mean, se, "worse"
    return mean, se, "no difference"


def table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per network width, family, fit (boosted, diff), ``L`` and
    ``a > 0``, and a summary row per width, family and fit (``low`` and
    ``amplitude`` ``all``). ``ds``: the merged data set (grid ``width``,
    ``amplitude``; ``amplitude`` 0 is plain training)."""
    if 0.0 not in ds.amplitude.values:
        raise ValueError(f"boosting needs amplitude 0 (plain training) to compare with; amplitudes {ds.amplitude.values.tolist()}")
    rows = []
    kinds = ["boosted"] + (["diff"] if "train_error_diff" in ds else [])
    for width in ds.width.values.tolist():
        for family in ds.family.values.tolist():
            for kind in kinds:
                error = quality(ds.sel(width=width), family, kind)
                matched, best = trial_ratios(error, "matched"), trial_ratios(error, "best")
                trials = best.sizes["trial"]
                for low in best.low.values.tolist():
                    for a in best.amplitude.values.tolist():
                        m, b = verdict(matched.sel(low=low, amplitude=a)), verdict(best.sel(low=low, amplitude=a))
                        rows.append(_row(width, family, kind, low, a, m, b, trials))
                summary = [verdict(r.mean(("low", "amplitude"))) for r in (matched, best)]
                rows.append(_row(width, family, kind, "all", "all", *summary, trials))
    return pd.DataFrame(rows)


def _row(width, family, kind, low, amplitude, matched, best, trials) -> dict:
    return {
        "width": int(width), "family": family, "fit": kind, "low": low, "amplitude": amplitude, "trials": int(trials),
        "ratio_matched": matched[0], "ratio_matched_se": matched[1], "verdict_matched": matched[2],
        "ratio_best": best[0], "ratio_best_se": best[1], "verdict": best[2],
    }  # fmt: skip


def answer(ds: xr.Dataset) -> dict[tuple[int, str], str]:
    """Each width's and family's verdict (its summary row: the boosted fit
    at the best epoch)."""
    t = table(ds)
    summary = t[(t.low == "all") & (t.fit == "boosted")]
    return {(int(w), f): v for w, f, v in zip(summary.width, summary.family, summary.verdict)}


def landing_table(name, frame):
    """The report's first page: the answer per family; every cell is in the CSV."""
    frame = frame[frame["low"] == "all"].drop(columns=["low", "amplitude"])
    return "E8: artificial boosting, each family's error over plain training's at its best epoch (summary rows of results/boosting.csv)", frame


TABLES = {"boosting": table}  # the CLI's `table` choices (its record's tables)
