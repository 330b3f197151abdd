"""The paper's figures, drawn from merged data sets. Each function returns
its matplotlib Figure so tests can inspect panels and labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around (possibly uneven) centres, for pcolormesh."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def heatmap(ax, field: xr.DataArray, cmap: str, title: str, label: str):
    """Rows ``n`` increasing downward (one equal row per size, as an image),
    columns ``epoch`` increasing to the right."""
    sizes = field.n.values
    rows = np.arange(len(sizes) + 1)
    mesh = ax.pcolormesh(_edges(field.epoch.values), rows, field.transpose("n", "epoch").values, cmap=cmap, shading="flat")
    ticks = np.unique(np.linspace(0, len(sizes) - 1, min(len(sizes), 8)).round().astype(int))
    ax.set_yticks(ticks + 0.5, [str(sizes[i]) for i in ticks])
    ax.set_ylim(len(sizes), 0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("n (training points)")
    ax.set_title(title)
    bar = ax.figure.colorbar(mesh, ax=ax)
    bar.set_label(label)
    return mesh


def figure1(ds: xr.Dataset, cmap: str = "jet", dpi: int = 120) -> Figure:
    """Figure 1: per depth, mean MSE and mean size over trials against data
    size and epoch, and the final size against ``n`` beside ``sum(y^2)``."""
    depths = ds.depth.values
    mean = ds[["mse", "size", "sum_y2"]].mean("trial")
    sem = ds[["size", "sum_y2"]].std("trial", ddof=1) / np.sqrt(ds.sizes["trial"]) if ds.sizes["trial"] > 1 else None
    fig = plt.figure(figsize=(14, 3.6 * len(depths)), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(len(depths), 3, width_ratios=[1, 1, 0.7])
    for row, depth in enumerate(depths):
        m = mean.sel(depth=depth)
        heatmap(fig.add_subplot(grid[row, 0]), m.mse, cmap, f"depth {depth}: training MSE", "mean MSE over trials")
        heatmap(fig.add_subplot(grid[row, 1]), m["size"], cmap, f"depth {depth}: size", "mean size over trials")
        ax = fig.add_subplot(grid[row, 2])
        final = m["size"].isel(epoch=-1)
        err = None if sem is None else sem["size"].sel(depth=depth).isel(epoch=-1).values
        ax.errorbar(m.n.values, final.values, yerr=err, marker="o", ms=3, label=f"size at epoch {int(m.epoch[-1])}")
        ax.plot(m.n.values, m.sum_y2.values, "k--", label="perfect fit: sum(y²)")
        ax.set_xlabel("n (training points)")
        ax.set_ylabel("size")
        ax.set_title(f"depth {depth}: final size")
        ax.legend(fontsize="small")
    trials = ds.sizes["trial"]
    fig.suptitle(f"Error and size of ReLU networks fitting noise (mean of {trials} trials)")
    return fig


def save(fig: Figure, path: str) -> None:
    fig.savefig(path)
    plt.close(fig)
