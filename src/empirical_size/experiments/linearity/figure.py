"""E5's figures: the paper's Figures 4 and 5. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ...analysis.plots import OKABE_ITO, divergence_note

ROW_LABELS = {"X+N": "trained on X + N", "X": "trained on X", "N": "trained on N (pure)", "diff": "X + N minus mean of X (diff)"}
from .analysis import diff_and_pure, epochs_to_learn


def figure4(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """Figure 4 (E5): output functions at each checkpoint; rows X + N, X, N
    and the diff, each with the data it is compared with."""
    checkpoints = ds.attrs["checkpoints"]
    grid_diff = diff_and_pure(ds, "output")["diff"]
    rows = [("X+N", ds.output.sel(set="X+N"), ds.spline + ds.noise), ("X", ds.output.sel(set="X"), ds.spline),
            ("N", ds.output.sel(set="N"), ds.noise), ("diff", grid_diff, ds.noise)]
    fig, axes = plt.subplots(len(rows), len(checkpoints), figsize=(3.2 * len(checkpoints), 2.6 * len(rows)), dpi=dpi, layout="constrained", squeeze=False, sharex=True, sharey="row")
    for r, (name, out, target) in enumerate(rows):
        for c, epoch in enumerate(checkpoints):
            ax = axes[r, c]
            ax.plot(ds.data_x, target, "k.", ms=3)
            for trial in out.trial.values:
                ax.plot(ds.x, out.sel(trial=trial, epoch=epoch), lw=1)
            if r == 0:
                ax.set_title(f"epoch {epoch}")
            if c == 0:
                ax.set_ylabel(ROW_LABELS[name])
            if r == len(rows) - 1:
                ax.set_xlabel("x")
    fig.suptitle(f"Linearity of training: {ds.sizes['trial']} trials per training set")
    return fig


def figure5(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """Figure 5 (E5): MSE against N on the training inputs of the pure and
    diff fits at equally spaced epochs; mean over trials and its range.
    With E5's frequency sweep (``freq_mse``), a second panel: the epochs to
    learn half of a sine's variance against its frequency (:func:`frequency_panel`)."""
    epochs = ds.attrs["mse_epochs"]
    parts = diff_and_pure(ds.sel(epoch=epochs))
    sweep = "freq_mse" in ds
    fig, axes = plt.subplots(1, 1 + sweep, figsize=(15, 5.4) if sweep else (8.5, 4.6), dpi=dpi, layout="constrained", squeeze=False)
    ax = axes[0, 0]
    styles = (("pure", "mse_pure", OKABE_ITO[0], "o", "-"), ("diff", "mse_diff", OKABE_ITO[1], "s", "--"))
    for name, var, color, mark, ls in styles:
        m = parts[var]
        ax.plot(m.epoch, m.mean("trial"), marker=mark, ls=ls, color=color, label=f"{name}: mean of {m.sizes['trial']} trials")
        # ranges as outlines, not translucent fills: overlapping fills mix into a colour of neither
        ax.plot(m.epoch, m.min("trial"), ls=":", color=color, lw=1, label=f"{name}: min and max over trials")
        ax.plot(m.epoch, m.max("trial"), ls=":", color=color, lw=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE against N on the training inputs")
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.3g}")  # 0.045, not 4.5 x 10^-2
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    if high / low < 10:  # within a decade the major ticks alone would be one or none: label the minor ones
        ax.yaxis.set_minor_formatter(plain)
    ax.grid(which="both", axis="y", alpha=0.25)
    dropped = int(ds.diverged.sum()) if "diverged" in ds else 0
    title = "Is the noise learned at the same rate with and without X?" + divergence_note(dropped, ds.diverged.size if dropped else 0)
    if not sweep:
        fig.legend(loc="outside right center")
        fig.suptitle(title)
        return fig
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")
    ax.set_title(title, fontsize="medium")
    frequency_panel(axes[0, 1], ds)
    return fig


def frequency_panel(ax, ds: xr.Dataset) -> None:
    """E5's frequency sweep: the epochs each trial takes to learn half of its
    sine's variance (:func:`~empirical_size.experiments.linearity.analysis.epochs_to_learn`,
    which the claim E5_frequency reads)
    against the frequency, log-log, per trial and their mean, beside a line
    proportional to k^2 through the lowest frequency's mean (spectral bias:
    Basri et al., NeurIPS 2019). A trial that did not get there is drawn at
    one record past the last, open."""
    epochs, reached = epochs_to_learn(ds)
    ks = ds.frequency.values.astype(float)
    last = int(ds.freq_epoch.values[-1])
    trials = ds.sizes["trial"]
    grey = "0.55"
    spread = np.exp(np.linspace(-0.05, 0.05, trials)) if trials > 1 else np.ones(1)  # trials side by side, not on top of each other
    for i in range(trials):
        e, r = epochs.isel(trial=i).values, reached.isel(trial=i).values
        label = f"each of {trials} trials" if i == 0 else None
        ax.plot(ks[r] * spread[i], e[r], "o", ms=4, color=grey, alpha=0.8, label=label)
        ax.plot(ks[~r] * spread[i], e[~r], "o", ms=4, mfc="none", color=grey)
    mean = epochs.mean("trial").values  # diverged trials (NaN) left out
    full = (reached | epochs.isnull()).all("trial").values
    color = OKABE_ITO[2]
    ax.plot(ks, mean, "-", color=color, lw=1.5)
    ax.plot(ks[full], mean[full], "s", ms=7, color=color, label="mean over trials")
    if not full.all():
        ax.plot(ks[~full], mean[~full], "s", ms=7, mfc="white", color=color, label="mean, a lower bound (some trials not there)")
    if not full.all():
        ax.plot([], [], "o", ms=4, mfc="none", color=grey, label=f"open: not there by epoch {last}, drawn one record past it")
    if np.isfinite(mean[0]):
        ax.plot(ks, mean[0] * (ks / ks[0]) ** 2, "--", color="0.25", lw=1, label="∝ k² through the lowest frequency's mean\n(spectral bias, Basri et al. 2019)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ks, [f"{k:g}" for k in ks])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")  # 40, not 4 x 10^1
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    # about a decade: label the minor ticks too, plainly; more: the major ones only
    ax.yaxis.set_minor_formatter(plain if high / low < 20 else matplotlib.ticker.NullFormatter())
    ax.grid(which="major", alpha=0.25)
    ax.set_xlabel("frequency k of the target sin(2πk(x − lo)/(hi − lo) + phase), cycles over the domain")
    ax.set_ylabel("epochs to learn half of the target's variance\n(first recorded epoch with 1 − MSE/variance ≥ 1/2)")
    diverged = int((~np.isfinite(ds.freq_mse)).any("freq_epoch").sum())
    note = f"; {diverged} of {epochs.size} trial runs diverged and are left out" if diverged else ""
    ax.set_title(f"Do higher frequencies take longer to learn?{note}", fontsize="medium")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")


FIGURES = {
    "fig4": lambda ds, o: figure4(ds, dpi=o.dpi),
    "fig5": lambda ds, o: figure5(ds, dpi=o.dpi),
}
