"""E6 (beyond the paper): exact numbers of linear pieces of networks with one
input and one output, at initialisation over a grid of widths and depths,
and during training of the E4 and E5 networks (from their recorded weights).

At initialisation the biases are drawn from ``U(-bias_scale, bias_scale)``:
with the paper's zero biases every network is positively homogeneous,
``f(x) = x f(sign x)``, so it has at most two pieces.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from .. import networks, seeding
from ..pieces import count_pieces
from .common import JobSpec, glorot_trials
from .curves import stacked_weights


@dataclass(frozen=True)
class KnotsJob(JobSpec):
    widths: tuple = (8, 32, 128, 500)
    depths: tuple = (1, 2, 3, 4)
    trials: int = 10
    first_trial: int = 0
    bias_scale: float = 0.5
    seed: int = 0
    namespace: str = "knots"


def run(job: KnotsJob, progress_every: float = 10.0) -> xr.Dataset:
    from ..storage import provenance

    start = time.perf_counter()
    counts = np.zeros((len(job.widths), len(job.depths), job.trials), dtype=np.int64)
    for i, width in enumerate(job.widths):
        for j, depth in enumerate(job.depths):
            sizes = networks.layer_sizes(1, width, depth)
            weights = glorot_trials(job.seed, job.namespace, (width, depth), job.trial_ids, sizes, bias_scale=job.bias_scale)
            counts[i, j] = count_pieces(weights)
    ds = xr.Dataset(
        {"pieces": (("width", "depth", "trial"), counts, {"long_name": "linear pieces on the real line at initialisation"})},
        coords={"width": list(job.widths), "depth": list(job.depths), "trial": job.trial_ids},
    )
    streams = {"init": ("width", "depth", "trial")}
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start))
    return ds


def during_training(ds: xr.Dataset, lead: tuple[str, ...]) -> xr.DataArray:
    """Pieces, on the data's domain, of every network recorded in an E4 or E5
    data set (dims ``lead`` then ``epoch``)."""
    interval = (float(ds.x.min()), float(ds.x.max()))
    shape = [ds.sizes[d] for d in (*lead, "epoch")]
    counts = np.zeros(shape, dtype=np.int64)
    for index in np.ndindex(*shape[:-1]):
        sel = {d: ds[d].values[i] for d, i in zip(lead, index)}
        weights = stacked_weights(ds.transpose(*lead, "epoch", ...), **sel)  # leading axis: epoch
        counts[index] = count_pieces(weights, interval)
    coords = {d: ds[d].values for d in (*lead, "epoch")}
    return xr.DataArray(counts, dims=(*lead, "epoch"), coords=coords, attrs={"interval": list(interval)})


def summarise(init: xr.Dataset, minima: xr.Dataset | None, linearity: xr.Dataset | None) -> xr.Dataset:
    """One data set: pieces at initialisation, and during training of E4, E5."""
    out = init.copy()
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


Job = KnotsJob
