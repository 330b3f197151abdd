"""E8's answer from its merged data set: for each target family, known
function ``L`` and amplitude ``a``, the boosted fit's error over plain
training's (``a = 0``), per trial (paired: same initial weights, same
target), at matched epochs (the last recorded) and at each one's own best
epoch (early stopping); mean and paired standard error over trials, and a
verdict at 2 s.e. A family's verdict is that of its pre-specified summary:
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


def verdict(ratios, z: float = 2.0) -> tuple[float, float, str]:
    """Mean and paired s.e. of per-trial ratios, and the verdict at ``z``
    s.e.: ``improves`` (the mean below 1), ``worse`` (above), ``no
    difference``; ``not comparable`` with fewer than 2 finite trials."""
    r = np.asarray(ratios, dtype=float).ravel()
    if r.size < 2 or not np.isfinite(r).all():
        return float("nan"), float("nan"), "not comparable"
    mean, se = float(r.mean()), float(r.std(ddof=1) / np.sqrt(r.size))
    if mean + z * se < 1.0:
        return mean, se, "improves"
    if mean - z * se > 1.0:
        return mean, se, "worse"
    return mean, se, "no difference"


def table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per family, fit (boosted, diff), ``L`` and ``a > 0``, and a
    summary row per family and fit (``low`` and ``amplitude`` ``all``)."""
    rows = []
    kinds = ["boosted"] + (["diff"] if "train_error_diff" in ds else [])
    for family in ds.family.values.tolist():
        for kind in kinds:
            error = quality(ds, family, kind)
            matched, best = trial_ratios(error, "matched"), trial_ratios(error, "best")
            for low in best.low.values.tolist():
                for a in best.amplitude.values.tolist():
                    m = verdict(matched.sel(low=low, amplitude=a))
                    b = verdict(best.sel(low=low, amplitude=a))
                    rows.append(_row(family, kind, low, a, m, b, best.sizes["trial"]))
            summary_m = verdict(matched.mean(("low", "amplitude")))
            summary_b = verdict(best.mean(("low", "amplitude")))
            rows.append(_row(family, kind, "all", "all", summary_m, summary_b, best.sizes["trial"]))
    return pd.DataFrame(rows)


def _row(family, kind, low, amplitude, matched, best, trials) -> dict:
    return {
        "family": family, "fit": kind, "low": low, "amplitude": amplitude, "trials": int(trials),
        "ratio_matched": matched[0], "se_matched": matched[1], "verdict_matched": matched[2],
        "ratio_best": best[0], "se_best": best[1], "verdict": best[2],
    }  # fmt: skip


def answer(ds: xr.Dataset) -> dict[str, str]:
    """Each family's verdict (its summary row, the boosted fit at the best epoch)."""
    t = table(ds)
    summary = t[(t.low == "all") & (t.fit == "boosted")]
    return dict(zip(summary.family, summary.verdict))
