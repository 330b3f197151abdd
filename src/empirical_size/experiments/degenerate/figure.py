"""E1's figure: the fraction of each layer's neurons dead, the paper's
points marked. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ...analysis import reproduction
from ...analysis.plots import OKABE_ITO
from ...analysis.stats import mean_se


def degenerate_figure(ds: xr.Dataset, marked=(3, 10, 20), dpi: int = 120, paper: dict[int, tuple[float, float, float]] | None = None) -> Figure:
    """E1: fraction of dead neurons per hidden layer, mean and standard error
    over experiments, at initialisation and after training, on the data and
    on a fresh sample; the marked layers, and ``paper``'s values (layer ->
    value, low, high) where the run has the layer."""
    frac = ds.dead / ds.attrs["width"]
    trials = ds.sizes["trial"]
    fig, ax = plt.subplots(figsize=(9.5, 4.8), dpi=dpi, layout="constrained")
    styles = {("init", "data"): (OKABE_ITO[0], "--"), ("init", "fresh"): (OKABE_ITO[1], "--"), ("trained", "data"): (OKABE_ITO[0], "-"), ("trained", "fresh"): (OKABE_ITO[1], "-")}
    for (stage, sample), (color, ls) in styles.items():
        f = frac.sel(stage=stage, sample=sample)
        err = mean_se(f, "trial")[1] if trials > 1 else None
        ax.errorbar(f.layer, f.mean("trial"), yerr=err, color=color, ls=ls, marker="o", ms=3, capsize=2, label=f"{stage}, dead on {sample}")
    layers = set(int(v) for v in ds.layer.values)
    for layer in marked:
        ax.axvline(layer, color="0.6", lw=0.8, ls=":")
        ax.annotate(f"layer {layer}", (layer, 1), xycoords=("data", "axes fraction"), xytext=(-3, -12), textcoords="offset points", ha="right", fontsize="small", color="0.4")
    shown = {layer: v for layer, v in (paper or {}).items() if layer in layers}
    if shown:
        xs = sorted(shown)
        values = np.array([shown[x] for x in xs])
        ax.errorbar(xs, values[:, 0], yerr=[values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]], fmt="D", color="k", ms=6, capsize=4, zorder=5, label="paper, dead on the data after training")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("hidden layer (from the input)")
    ax.set_ylabel("fraction of neurons dead")
    ax.set_title(f"Degenerate neurons (mean ± 1 s.e. of {trials} experiments)")
    fig.legend(loc="outside right center", fontsize="small")
    return fig


PAPER_CLAIMS = ("E1_dead_layer3", "E1_dead_layer10", "E1_dead_layer20")  # the paper's points, by claim id

FIGURES = {
    "degenerate": lambda ds, o: degenerate_figure(ds, marked=o.marked, dpi=o.dpi, paper=reproduction.dead_points(PAPER_CLAIMS)),
}
