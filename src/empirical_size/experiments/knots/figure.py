"""E6's figure: linear pieces against the networks' sizes and training. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...analysis.plots import OKABE_ITO

LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
from .analysis import reference_lines


def _pieces_by_width(ax, pieces: xr.DataArray, ylabel: str, title: str, start: xr.DataArray | None = None) -> None:
    """Mean ± s.d. over trials of ``pieces (width, depth, trial)`` against N,
    log-log, a line per K beside N·K (dashed) and N^K (dotted) in its colour;
    ``start``: the counts at step 0, open squares in the same colours."""
    for i, depth in enumerate(pieces.depth.values):
        p = pieces.sel(depth=depth)
        widths = p.width.values
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(widths, p.mean("trial"), yerr=p.std("trial"), marker="o", color=color, capsize=2, label=f"K = {depth} layer{'s' if depth != 1 else ''}")
        ax.plot(widths, [reference_lines(w, depth)[0] for w in widths], ls="--", color=color, lw=0.8)
        ax.plot(widths, [reference_lines(w, depth)[1] for w in widths], ls=":", color=color, lw=0.8)
        if start is not None:
            ax.plot(widths, start.sel(depth=depth).mean("trial"), ls="none", marker="s", mfc="none", color=color, ms=6)
    ax.plot([], [], "--", color="0.4", lw=0.8, label="N·K (in the colour of its K)")
    ax.plot([], [], ":", color="0.4", lw=0.8, label="N^K (in the colour of its K)")
    if start is not None:
        ax.plot([], [], ls="none", marker="s", mfc="none", color="0.4", label="step 0: the initialisation (≤ 2 pieces)")
    ax.set_xscale("log")
    ax.set_xticks(pieces.width.values, [str(w) for w in pieces.width.values])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_yscale("log")
    top = max(float(pieces.max()), 2.0) * 30
    ax.set_ylim(1 if start is None else 0.7, top)  # room below for step 0's single pieces
    ax.set_xlabel("N (neurons per layer)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")


def knots_figure(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """E6: exact linear pieces at initialisation against width and depth,
    beside ``N*K`` and ``N^K``; after a few full-batch steps from the paper's
    initialisation (zero biases), likewise, with the step-0 counts; and
    during training of the E4 and E5 networks."""
    extra = [name for name in ("minima", "linearity") if f"pieces_{name}" in ds]
    trained = "pieces_trained" in ds and ds.sizes.get("step", 0) > 0
    count = 1 + trained + len(extra)
    cols = count if count <= 3 else 2  # four panels: two rows of two
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.6 * rows), dpi=dpi, layout="constrained", squeeze=False)
    axes = axes.ravel()
    for ax in axes[count:]:
        ax.remove()
    _pieces_by_width(axes[0], ds.pieces, "linear pieces", f"At initialisation (mean ± s.d. of {ds.sizes['trial']} trials)")
    if trained:
        p = ds.pieces_trained.where(ds.pieces_trained >= 0)  # -1: a diverged trial
        last = int(p.step.values[-1])
        first = p.sel(step=0) if 0 in p.step.values and last != 0 else None
        title = f"After {last} full-batch step{'s' if last != 1 else ''} from the paper's initialisation\n(zero biases; mean ± s.d. of {p.sizes['trial']} trials)"
        _pieces_by_width(axes[1], p.sel(step=last), "linear pieces on the data's domain", title, first)
    for ax, name in zip(axes[1 + trained : count], extra):
        p = ds[f"pieces_{name}"]
        lead = [d for d in p.dims if not d.endswith("epoch")]
        epoch = f"{name}_epoch"
        # colour: the first grid dimension (bias variant, training set); line style: the trial
        for index in np.ndindex(*[p.sizes[d] for d in lead]):
            sel = {d: p[d].values[i] for d, i in zip(lead, index)}
            color = OKABE_ITO[index[0] % len(OKABE_ITO)]
            style = LINE_STYLES[(index[-1] if len(index) > 1 else 0) % len(LINE_STYLES)]
            label = ", ".join(f"{d.removeprefix(name + '_')} {v}" for d, v in sel.items())
            ax.plot(p[epoch], p.sel(**sel), marker=".", color=color, ls=style, label=label)
        nk = p.attrs["width"] * p.attrs["depth"]
        ax.axhline(nk, color="k", ls="--", lw=0.8, label=f"N·K = {nk}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("linear pieces on the data's domain")
        ax.set_title({"minima": "E4 (sawtooth) during training", "linearity": "E5 (X + N, X, N) during training"}[name])
        # the key: a colour per variant or set, a line style per trial (not one entry per curve)
        first, last = lead[0], lead[-1]
        key = [Line2D([], [], color=OKABE_ITO[i % len(OKABE_ITO)], label=f"{first.removeprefix(name + '_')} {v}") for i, v in enumerate(p[first].values)]
        if len(lead) > 1:
            key += [Line2D([], [], color="0.4", ls=LINE_STYLES[j % len(LINE_STYLES)], label=f"{last.removeprefix(name + '_')} {v}") for j, v in enumerate(p[last].values)]
        key.append(Line2D([], [], color="k", ls="--", lw=0.8, label=f"N·K = {nk}"))
        ax.legend(handles=key, fontsize="x-small", ncol=2)
    fig.suptitle("Knots: exact linear pieces of networks with one input")
    return fig


FIGURES = {
    "knots": lambda ds, o: knots_figure(ds, dpi=o.dpi),
}
