"""E2's figure: the paper's Figure 1. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ...analysis.merge import without_diverged
from ...analysis.plots import DEFAULT_CMAP, OKABE_ITO, common_limits, divergence_note, heatmap, mappable
from ...analysis.stats import mean_se


def figure1(ds: xr.Dataset, cmap: str = DEFAULT_CMAP, dpi: int = 120) -> Figure:
    """Figure 1: per depth, mean MSE and mean size over trials against data
    size and epoch, and the final size against ``n`` beside ``sum(y^2)``.
    Diverged trials are left out of the means, and counted in the title."""
    ds, diverged = without_diverged(ds)
    depths = ds.depth.values
    mean = ds[["mse", "size", "sum_y2"]].mean("trial")
    sem = mean_se(ds[["size", "sum_y2"]], "trial")[1] if ds.sizes["trial"] > 1 else None
    fig = plt.figure(figsize=(14, 3.6 * len(depths) + 0.6), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(len(depths), 3, width_ratios=[1, 1, 0.7])
    limits = {var: common_limits(mean[var]) for var in ("mse", "size")}
    columns = {"mse": [], "size": []}
    for row, depth in enumerate(depths):
        m = mean.sel(depth=depth)
        for col, (var, what) in enumerate((("mse", "training MSE"), ("size", "size"))):
            ax = fig.add_subplot(grid[row, col])
            heatmap(ax, m[var], cmap, f"depth {depth}: {what}", limits[var])
            columns[var].append(ax)
        ax = fig.add_subplot(grid[row, 2])
        final = m["size"].isel(epoch=-1)
        err = None if sem is None else sem["size"].sel(depth=depth).isel(epoch=-1).values
        ax.errorbar(m.n.values, final.values, yerr=err, marker="o", ms=3, color=OKABE_ITO[0], label=f"size at epoch {int(m.epoch[-1])} (± 1 s.e.)")
        ax.plot(m.n.values, m.sum_y2.values, "k--", label="perfect fit: sum(y²)")
        ax.set_xlabel("n (training points)")
        ax.set_ylabel("size")
        ax.set_title(f"depth {depth}: final size")
        ax.legend(fontsize="small", loc="upper left")  # the curves rise from the lower left
    for var, label in (("mse", "mean training MSE"), ("size", "mean size")):
        fig.colorbar(mappable(cmap, limits[var]), ax=columns[var], label=f"{label} (one scale for every depth)", shrink=0.9)
    trials = ds.sizes["trial"]
    total = int(np.prod([ds.sizes[d] for d in ("depth", "n", "trial")]))
    fig.suptitle(
        f"Error and size of ReLU networks fitting noise, mean of {trials} trials{divergence_note(diverged, total)}\n"
        "size = sum over the n training points of f(x)²; a perfect fit of the noise has size sum(y²)"
    )
    return fig


FIGURES = {
    "fig1": lambda ds, o: figure1(ds, cmap=o.cmap, dpi=o.dpi),
}
