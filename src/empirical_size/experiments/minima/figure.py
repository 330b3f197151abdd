"""E4's figure: the paper's Figure 3. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.figure import Figure

from ...analysis.plots import OKABE_ITO, ordered


def figure3(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """Figure 3 (E4): target and each trial's output at each checkpoint,
    one row per bias initialisation."""
    variants, epochs = ordered(ds.variant.values, ("zero", "uniform")), ds.epoch.values
    fig, axes = plt.subplots(len(variants), len(epochs), figsize=(4.5 * len(epochs), 3.4 * len(variants)), dpi=dpi, layout="constrained", squeeze=False, sharey=True)
    for r, variant in enumerate(variants):
        v = ds.sel(variant=variant)
        for c, epoch in enumerate(epochs):
            ax = axes[r, c]
            ax.plot(v.data_x, v.data_y, ".", color="0.6", ms=2, label="data")
            ax.plot(v.x, v.target, color="k", lw=1.2, ls="--", label="target (sawtooth)")
            for k, trial in enumerate(v.trial.values):
                gone = "diverged" in v and bool(v.diverged.sel(trial=trial))
                color = OKABE_ITO[k % len(OKABE_ITO)]
                ax.plot(v.x, v.output.sel(trial=trial, epoch=epoch), lw=1.5, color=color, label=f"trial {trial}" + (" (diverged)" if gone else ""))
            ax.set_title(f"{variant} biases, epoch {epoch}")
            ax.set_xlabel("x")
            if c == 0:
                ax.set_ylabel("f(x)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center")
    fig.suptitle("Local minima: network outputs on a sawtooth")
    return fig


FIGURES = {
    "fig3": lambda ds, o: figure3(ds, dpi=o.dpi),
}
