"""E8's figure: per target family, the error of plain training against the
boosted fits' over epochs (top), and each fit's best error against the
amplitude, one line per known function ``L`` (bottom); means over trials
with their standard errors, the first width of the run (others: the table)."""

from __future__ import annotations

import numpy as np

from .analysis import quality


def figure(ds, dpi: int = 120):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = ds.width.values[0]
    data = ds.sel(width=width)
    families = data.family.values.tolist()
    fig, axes = plt.subplots(2, len(families), figsize=(4.2 * len(families), 7), dpi=dpi, squeeze=False)
    colours = dict(zip(data.low.values.tolist(), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    amps = data.amplitude.values
    show = amps[np.argmin(np.abs(amps - 1.0))] if (amps > 0).any() else None  # the amplitude nearest 1 over epochs
    for col, family in enumerate(families):
        error = quality(data, family)
        trained = error.sel(epoch=error.epoch > 0)
        top, bottom = axes[0, col], axes[1, col]
        plain = trained.sel(amplitude=0.0).isel(low=0)
        top.errorbar(plain.epoch, plain.mean("trial"), plain.std("trial") / np.sqrt(plain.sizes["trial"]), color="black", label="plain (a = 0)")
        for low in data.low.values.tolist():
            best = trained.sel(low=low).min("epoch")
            mean, se = best.mean("trial"), best.std("trial") / np.sqrt(best.sizes["trial"])
            bottom.errorbar(amps, mean, se, marker="o", color=colours[low], label=f"L = {low}")
            if show is not None and show > 0:
                curve = trained.sel(low=low, amplitude=show)
                top.errorbar(curve.epoch, curve.mean("trial"), curve.std("trial") / np.sqrt(curve.sizes["trial"]), color=colours[low], label=f"boosted, L = {low}, a = {show:g}")
        judged = "training error against t" if family == "noise" else "error against h on the grid"
        top.set(title=f"t = {family}", xlabel="epoch", ylabel=f"MSE ({judged})", xscale="log", yscale="log")
        bottom.set(xlabel="amplitude a (x t's std)", ylabel="best MSE over epochs", yscale="log")
        top.legend(fontsize=7)
        bottom.legend(fontsize=7)
    trials = int(data.sizes["trial"])
    fig.suptitle(f"E8, artificial boosting: width {width}, {trials} paired trials (mean ± s.e.)")
    fig.tight_layout()
    return fig


FIGURES = {"boosting": lambda ds, o: figure(ds, dpi=o.dpi)}  # the CLI's `plot` choices (its record's figures)
