"""E5's analysis of its merged data set: the paper's diff and pure fits
(Figure 4's last row, Figure 5). Training jobs never import this module:
editing it redraws figures and redoes verdicts, never a training job."""

from __future__ import annotations

import xarray as xr


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
