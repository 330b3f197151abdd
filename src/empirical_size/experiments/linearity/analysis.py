"""E5's analysis of its merged data set: the paper's diff and pure fits
(Figure 4's last row, Figure 5). Training jobs never import this module:
editing it redraws figures and redoes verdicts, never a training job."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ...analysis.claims import NotMeasurable


def diff_and_pure(ds: xr.Dataset, var: str = "output_data") -> xr.Dataset:
    """Row four of Figure 4 and the two curves of Figure 5.

    ``diff``: each trial trained on ``X + N`` minus the mean over trials of
    those trained on ``X``; ``pure``: the trials trained on ``N``. Both are
    compared with ``N`` by their MSE on the training inputs
    (``mse_diff``, ``mse_pure``, per trial and epoch). Diverged trials are NaN.
    """
    outputs = ds[var]
    if "diverged" in ds:  # diverged trials left out (NaN), of the mean over X's trials too
        outputs = outputs.where(~ds.diverged.astype(bool))
    diff = outputs.sel(set="X+N") - outputs.sel(set="X").mean("trial")
    pure = outputs.sel(set="N")
    out = xr.Dataset({"diff": diff, "pure": pure})
    if var == "output_data":
        out["mse_diff"] = ((diff - ds.noise) ** 2).mean("sample")
        out["mse_pure"] = ((pure - ds.noise) ** 2).mean("sample")
    return out


def epochs_to_learn(ds: xr.Dataset, fraction: float = 0.5) -> tuple[xr.DataArray, xr.DataArray]:
    """Frequency sweep: per frequency and trial, the first recorded epoch at
    which the fit holds ``fraction`` of the target's variance
    (``1 - mse / variance >= fraction``), and whether it got there; never:
    one record past the end (a lower bound). Diverged trials are NaN. The
    claim (its ``claims.py``) and Figure 5's panel both read this."""
    if "freq_mse" not in ds:
        raise NotMeasurable("no frequency sweep in this run (linearity.frequencies is empty)")
    learned = ((1 - ds.freq_mse / ds.freq_target_variance) >= fraction).transpose(..., "freq_epoch")
    epochs = ds.freq_epoch.values
    past_end = epochs[-1] + (epochs[-1] - epochs[-2] if len(epochs) > 1 else epochs[-1])
    reached = learned.any("freq_epoch")
    first = ds.freq_epoch.isel(freq_epoch=learned.argmax("freq_epoch")).drop_vars("freq_epoch")
    finite = np.isfinite(ds.freq_mse).all("freq_epoch")
    return xr.where(reached, first, past_end).where(finite).astype(float), reached & finite
