"""E6's merged data set from its job files: the counts at initialisation and
after a few steps, with the pieces of the E4 and E5 networks during training
(from the weights they record), and the reference lines of its figure.
Training jobs never import this module: editing it redoes the merge and the
figure, never a training job."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..curves import stacked_weights
from .job import pieces_of


def during_training(ds: xr.Dataset, lead: tuple[str, ...]) -> xr.DataArray:
    """Pieces, on the data's domain, of every network recorded in an E4 or E5
    data set (dims ``lead`` then ``epoch``); -1 where a network diverged."""
    interval = (float(ds.x.min()), float(ds.x.max()))
    shape = [ds.sizes[d] for d in (*lead, "epoch")]
    counts = np.zeros(shape, dtype=np.int64)
    for index in np.ndindex(*shape[:-1]):
        sel = {d: ds[d].values[i] for d, i in zip(lead, index)}
        weights = stacked_weights(ds.transpose(*lead, "epoch", ...), **sel)  # leading axis: epoch
        counts[index] = pieces_of(weights, interval)  # -1: diverged
    coords = {d: ds[d].values for d in (*lead, "epoch")}
    return xr.DataArray(counts, dims=(*lead, "epoch"), coords=coords, attrs={"interval": list(interval)})


def summarise(init: xr.Dataset, minima: xr.Dataset | None, linearity: xr.Dataset | None, trained: xr.Dataset | None = None) -> xr.Dataset:
    """One data set: pieces at initialisation, after a few steps from the
    paper's initialisation (``trained``, the training job's file), and during
    training of E4, E5."""
    out = init.copy()
    if trained is not None:
        for name in ("pieces_trained", "mse_trained"):
            out[name] = trained[name]  # the same widths, depths and trials as the initialisation counts
        out["pieces_trained"].attrs["interval"] = trained.attrs["interval"]
    for name, ds, lead in (("minima", minima, ("variant", "trial")), ("linearity", linearity, ("set", "trial"))):
        if ds is None:
            continue
        pieces = during_training(ds, lead)
        width = ds["kernel_1"].shape[-1] if "kernel_1" in ds else ds["kernel_0"].shape[-1]
        depth = sum(1 for v in ds.data_vars if v.startswith("kernel_")) - 1
        out[f"pieces_{name}"] = pieces.rename({d: f"{name}_{d}" for d in (*lead, "epoch")})
        out[f"pieces_{name}"].attrs.update(width=width, depth=depth, long_name=f"linear pieces of the {name} networks on their domain")
    out.attrs["experiment"] = "knots"  # as every merged data set: footers find its config section
    return out


def reference_lines(width: int, depth: int) -> tuple[int, float]:
    """``N*K`` and ``N^K`` for ``K`` layers of ``N`` neurons."""
    return width * depth, float(width) ** depth
