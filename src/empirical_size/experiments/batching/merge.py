"""E3's merged data set: the generic merge's, with the batch-size sweep's
variants (``keep_b<batch>``) moved out of ``variant`` into their own
variables, so that the figures and the remainder claims see only the
paper's batch size."""

from __future__ import annotations

import xarray as xr

from .record import sweep_batch_size

SWEEP_MSE = "sweep_mse"  # (batch_size, depth, sweep_n, trial, epoch)


def split_sweep(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` without the sweep's variants, and ``sweep_mse`` over the
    sweep's batch sizes and sizes (``sweep_n``), NaN for a diverged trial."""
    labels = [v for v in ds.variant.values.tolist() if sweep_batch_size(v) is not None]
    if not labels:
        return ds
    part = ds.sel(variant=labels)
    mse = part.mse.where(part.diverged == 0) if "diverged" in part else part.mse
    mse = mse.dropna("n", how="all").rename(n="sweep_n", variant="batch_size")
    mse = mse.assign_coords(batch_size=[sweep_batch_size(v) for v in labels])
    mse.attrs["description"] = "training MSE with the paper's remainder (keep) at the sweep's batch sizes; NaN: diverged"
    mse.batch_size.attrs["description"] = "samples per step of the batch-size sweep (batching.sweep_batch_sizes)"
    main = ds.drop_sel(variant=labels)
    if "diverged" in main and main.diverged.notnull().all():  # unstacking beside the sweep's sizes made it float
        main["diverged"] = main.diverged.astype(bool)
    return main.assign({SWEEP_MSE: mse})
