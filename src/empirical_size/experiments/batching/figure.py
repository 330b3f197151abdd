"""E3's figures: the paper's Figure 2 for a variant, and the variants side by side. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ...analysis.merge import without_diverged
from ...analysis.plots import DEFAULT_CMAP, common_limits, divergence_note, heatmap, mappable, ordered


def figure2(ds: xr.Dataset, variant: str, cmap: str = DEFAULT_CMAP, dpi: int = 120, vmax: float | None = None) -> Figure:
    """Figure 2 (E3): mean training MSE per depth with mini-batches of the
    given variant (``keep`` is the paper's); diverged trials left out."""
    every, _ = without_diverged(ds)
    data, diverged = without_diverged(ds.sel(variant=variant))
    depths = data.depth.values
    fig, axes = plt.subplots(1, len(depths), figsize=(5.2 * len(depths), 4.2), dpi=dpi, layout="constrained", squeeze=False)
    mean = data.mse.mean("trial")
    # one scale for every depth and every variant: fig2, fig2_drop, fig2_resample compare by colour
    limits = common_limits(every.mse.mean("trial")) if vmax is None else (common_limits(mean)[0], vmax)
    for ax, depth in zip(axes[0], depths):
        heatmap(ax, mean.sel(depth=depth), cmap, f"depth {depth}: training MSE", limits)
    fig.colorbar(mappable(cmap, limits), ax=list(axes[0]), label="mean training MSE (one scale for every depth and variant)", shrink=0.9)
    batch = ds.attrs.get("batch_size", "?")
    total = int(np.prod([data.sizes[d] for d in ("depth", "n", "trial")]))
    note = divergence_note(diverged, total)
    fig.suptitle(f"Mini-batch training ({variant}: batch {batch} when n >= {ds.attrs.get('full_batch_below', '?')}), mean of {data.sizes['trial']} trials{note}")
    return fig


def figure2_compare(ds: xr.Dataset, cmap: str = DEFAULT_CMAP, dpi: int = 120) -> Figure:
    """The batching variants side by side (columns) for each depth (rows),
    on one colour scale; diverged trials left out."""
    ds, diverged = without_diverged(ds)
    mean = ds.mse.mean("trial")
    limits = common_limits(mean)
    variants, depths = ordered(ds.variant.values, ("keep", "drop", "resample")), ds.depth.values
    fig, axes = plt.subplots(len(depths), len(variants), figsize=(4.8 * len(variants), 3.6 * len(depths)), dpi=dpi, layout="constrained", squeeze=False)
    for r, depth in enumerate(depths):
        for c, variant in enumerate(variants):
            heatmap(axes[r, c], mean.sel(depth=depth, variant=variant), cmap, f"{variant}, depth {depth}", limits)
    fig.colorbar(mappable(cmap, limits), ax=axes.ravel().tolist(), label="mean training MSE (one scale for every panel)", shrink=0.8)
    total = int(np.prod([ds.sizes[d] for d in ("variant", "depth", "n", "trial")]))
    fig.suptitle(f"Training MSE by batching variant, mean of {ds.sizes['trial']} trials{divergence_note(diverged, total)}")
    return fig


FIGURES = {
    "fig2": lambda ds, o: figure2(ds, o.variant, cmap=o.cmap, dpi=o.dpi),
    "fig2_compare": lambda ds, o: figure2_compare(ds, cmap=o.cmap, dpi=o.dpi),
}
