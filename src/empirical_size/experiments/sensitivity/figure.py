"""E7's figures: E1's and E2's numbers per setting, against the learning rate, and against the loss scale. Drawn here with the shared helpers of :mod:`empirical_size.analysis.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from ...analysis import reproduction
from ...analysis.plots import DEPTH_COLORS, OKABE_ITO, divergence_note, half
from ...analysis.stats import mean_se
from .analysis import PAPER_CLAIMS, e1_dead, held_numbers, largest_mean_size, paper_distance, summarise

INPUT_MARKERS = {"normal": ("D", "inputs N(0, I)"), "uniform_symmetric": ("^", "inputs uniform on [-1, 1]^d"), "uniform_positive": ("v", "inputs uniform on [0, 1]^d")}


def setting_name(label: str, knob: str, value: str) -> str:
    return "baseline" if not knob else ", ".join(f"{k}={v}" for k, v in zip(knob.split("+"), value.split(",")))


def sensitivity_figure(ds: xr.Dataset, paper_band: tuple[float, float] | None = None, dpi: int = 120) -> Figure:
    """E7: E1's deepest-layer dead fraction (on the data, on fresh inputs) and
    E2's size at the last epoch at each depth, per setting, mean and 95%
    Student's t interval over the trials;
    ``paper_band`` is the paper's E1 interval, drawn where the run is
    comparable with it."""
    t = summarise(ds)
    layer, x, depths = t.attrs["layer"], np.arange(len(t)), t.attrs["depths"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), dpi=dpi, layout="constrained", sharex=True)
    for offset, sample, color, what in ((-0.1, "data", "C0", "the training data"), (0.1, "fresh", "C1", "fresh inputs")):
        col = f"e1_dead_layer{layer}_{sample}"
        left.errorbar(x + offset, t[col], yerr=half(ds.sizes["e1_trial"]) * t[col + "_se"], fmt="o", color=color, capsize=3, label=f"dead on {what}")
    if paper_band is not None:
        left.axhspan(*paper_band, color="0.5", alpha=0.25, label="paper (on the data)")
    left.set_ylabel(f"fraction of layer-{layer} neurons dead")
    left.set_title(f"E1: layer {layer} after training ({ds.sizes['e1_trial']} experiments)")
    left.legend(fontsize="small")
    for k, depth in enumerate(depths):
        col = f"e2_depth{depth}_size"
        offset = (k - (len(depths) - 1) / 2) * 0.12
        right.errorbar(x + offset, t[col], yerr=half(ds.sizes["e2_trial"]) * t[col + "_se"], fmt="s", color=DEPTH_COLORS[k % len(DEPTH_COLORS)], capsize=3, label=f"depth {depth}")
    right.plot(x, t["e2_perfect_fit_size"], "_", color="k", ms=18, label="perfect fit (sum of y²)")
    right.set_ylabel("size  sum f(x)², last epoch")
    right.set_title(f"E2: n = {t.attrs['n']}, epoch {t.attrs['epoch']} ({ds.sizes['e2_trial']} trials)")
    right.legend(fontsize="small")
    dropped = int(np.nansum(t[[f"e2_depth{d}_diverged" for d in depths]].values))
    if dropped:
        total = int(ds.trained.sum()) * ds.sizes["e2_trial"]
        right.annotate(divergence_note(dropped, total).lstrip("; "), (0.01, 0.01), xycoords="axes fraction", fontsize="small")
    for ax in (left, right):
        ax.set_xticks(x, [setting_name(s, k, v) for s, k, v in zip(t["setting"], t["knob"], t["value"])], rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Sensitivity to settings the paper does not pin down (mean, 95% t-interval)")
    return fig


def learning_rate_figure(ds: xr.Dataset, e2_bands: dict[int, tuple[float, float]] | None = None, e1_band: tuple[float, float] | None = None, dpi: int = 120) -> Figure:
    """E7's answer: E2's largest mean size against the learning rate, one
    line per depth, and E1's deepest-layer dead fraction beside it, mean and
    95% Student's t interval. Lines join the settings that change the learning rate alone;
    settings that change the input distribution (triangles) or epsilon
    (crosses) are single markers at their learning rate. The bands are the paper's values
    (``e2_bands`` per depth, ``e1_band``), drawn where the run is
    comparable with them."""
    knobs = [str(k) for k in ds.knob.values]
    only_rate = [i for i, k in enumerate(knobs) if k in ("", "learning_rate")]
    others = [i for i, k in enumerate(knobs) if k and k != "learning_rate" and set(k.split("+")) <= {"learning_rate", "epsilon", "input_distribution"}]
    rate = ds.learning_rate.values.astype(float)
    line = sorted(only_rate, key=lambda i: rate[i])
    value = [str(v) for v in ds.value.values]

    def marker(i):
        first = knobs[i].split("+")[0]
        return "x" if first == "epsilon" else INPUT_MARKERS[value[i].split(",")[0]][0]
    top, top_se = largest_mean_size(ds)
    e1_half, e2_half = half(ds.sizes["e1_trial"]), half(ds.sizes["e2_trial"])
    dead, dead_se = mean_se(e1_dead(ds), "e1_trial")
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), dpi=dpi, layout="constrained")
    for k, depth in enumerate(ds.depth.values):
        color = DEPTH_COLORS[k % len(DEPTH_COLORS)]
        m, e = top.sel(depth=depth).values, top_se.sel(depth=depth).values
        left.errorbar(rate[line], m[line], yerr=e2_half * e[line], fmt="o-", color=color, capsize=3, label=f"depth {depth}")
        for i in others:
            if np.isfinite(m[i]):
                left.errorbar(rate[i], m[i], yerr=e2_half * e[i], fmt=marker(i), color=color, capsize=2, alpha=0.8)
        if e2_bands and int(depth) in e2_bands:
            left.axhspan(*e2_bands[int(depth)], color=color, alpha=0.15, label=f"paper, depth {depth}")
    left.set_ylabel(f"E2: largest mean size over epochs, n = {ds.attrs['e2_n']}")
    left.set_title(f"E2 ({ds.sizes['e2_trial']} trials, {int(ds.epoch[-1])} epochs)")
    right.errorbar(rate[line], dead.values[line], yerr=e1_half * dead_se.values[line], fmt="o-", color="k", capsize=3, label="learning rate alone")
    for i in others:
        right.errorbar(rate[i], dead.values[i], yerr=e1_half * dead_se.values[i], fmt=marker(i), color="0.4", capsize=2)
    if e1_band is not None:
        right.axhspan(*e1_band, color="0.5", alpha=0.25, label="paper")
    layer = int(ds.layer.max())
    right.set_ylabel(f"E1: fraction of layer-{layer} neurons dead on the data")
    right.set_title(f"E1 ({ds.sizes['e1_trial']} experiments, depth {layer})")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("Adadelta learning rate (paper: 1.0)")
        ax.grid(alpha=0.3)
        for symbol, what in (("x", "epsilon changed"), *INPUT_MARKERS.values()):
            if any(marker(i) == symbol for i in others):
                ax.plot([], [], symbol, color="0.4", ls="none", label=what)
        ax.legend(fontsize="small")
    fig.suptitle("Which learning rate brings E1 and E2 to the paper? (mean, 95% t-interval)")
    return fig


def loss_scale_figure(ds: xr.Dataset, e2_bands: dict[int, tuple[float, float]] | None = None, e1_band: tuple[float, float] | None = None, dpi: int = 120) -> Figure:
    """E7's two explanations of Figure 1's gap that a 2016 script may hold:
    E2's largest mean size per depth, and E1's deepest-layer dead fraction,
    against the loss scale (1: the paper's loss; 1/128: 128 towers of one
    model), one line per learning rate that the scales were crossed with;
    the optimizer reset every record as a cross at scale 1. Mean and 95%
    t-interval; bands: the paper's values where the run is comparable.
    Sizes on a log scale, where the distance to the paper is a ratio (an
    interval reaching below zero runs off the panel); of the settings drawn,
    the one nearest the paper's numbers the run is held to
    (:func:`closest_to_paper`) ringed and named in the title."""
    knobs = [set(str(k).split("+")) - {""} for k in ds.knob.values]
    scale, rate = ds.loss_scale.values.astype(float), ds.learning_rate.values.astype(float)
    on_grid = [i for i, k in enumerate(knobs) if k <= {"loss_scale", "learning_rate"}]
    lines = {r: sorted((i for i in on_grid if rate[i] == r), key=lambda i: scale[i]) for r in sorted(set(rate[on_grid]), reverse=True)}
    lines = {r: idx for r, idx in lines.items() if len(idx) > 1}  # a rate the scales were crossed with
    resets = [i for i, k in enumerate(knobs) if k == {"optimizer_reset"}]
    top, top_se = largest_mean_size(ds)
    dead, dead_se = mean_se(e1_dead(ds), "e1_trial")
    panels = [(f"E2 depth {int(d)}: largest mean size", top.sel(depth=d).values, top_se.sel(depth=d).values, ds.sizes["e2_trial"], (e2_bands or {}).get(int(d)), resets) for d in ds.depth.values]
    # E1's five steps hold no record: the reset leaves E1 as it is, no cross there
    panels.append((f"E1: layer {int(ds.layer.max())} dead on the data", dead.values, dead_se.values, ds.sizes["e1_trial"], e1_band, []))
    on_lines = {i for idx in lines.values() for i in idx}
    closest = closest_to_paper(ds, sorted(on_lines | set(resets)))  # of the settings drawn
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.4), dpi=dpi, layout="constrained", squeeze=False)
    for ax, (title, mean, se, trials, band, resets) in zip(axes[0], panels):
        for k, (r, idx) in enumerate(lines.items()):
            ax.errorbar(scale[idx], mean[idx], yerr=half(trials) * se[idx], fmt="o-", color=OKABE_ITO[k % len(OKABE_ITO)], capsize=3, label=f"learning rate {r:g}")
        for i in resets:
            if np.isfinite(mean[i]):
                ax.errorbar(scale[i], mean[i], yerr=half(trials) * se[i], fmt="x", color="k", ms=8, capsize=3, label="optimizer reset every record")
        if band is not None:
            ax.axhspan(*band, color="0.5", alpha=0.25, label="paper")
        ringed = [i for i in closest[0] if i in on_lines or i in resets] if closest is not None else []
        if ringed:  # the nearest settings this panel draws
            ax.plot(scale[ringed], mean[ringed], "o", ms=14, mfc="none", mec="k", ls="none", label="closest to the paper")
        if title.startswith("E2"):
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("loss scale (paper: 1; 128 towers: 1/128)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    entries = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}  # every panel's, once
    if entries:  # beside the panels, clear of the points, the title and the footer
        fig.legend(entries.values(), entries.keys(), loc="outside right center", fontsize="small")
    title = f"Loss scale and optimizer resets: E2 at n = {ds.attrs['e2_n']}, {int(ds.epoch[-1])} epochs (mean, 95% t-interval)"
    if closest is not None:
        near, ratio, within, count = closest
        name = " and ".join(setting_name(str(ds.setting.values[i]), str(ds.knob.values[i]), str(ds.value.values[i])) for i in near)
        tied = ", tied" if len(near) > 1 else ""
        fit = "all within the paper's precision" if within else "not all within the paper's precision"
        title += f"\nclosest to the {count} numbers of the paper this run is held to: {name} (largest ratio, either way, {ratio:.2f}{tied}; {fit})"
    fig.suptitle(title)
    return fig


def closest_to_paper(ds: xr.Dataset, among: list[int] | None = None) -> tuple[list[int], float, bool, int] | None:
    """Of the settings ``among`` (default: all), those whose largest ratio
    to the paper's numbers is the smallest (:func:`analysis.paper_distance`:
    E1's layers 3, 10, 20 and E2's depths 2-4, those the run is held to), as
    (their indices: several where they tie, the ratio, every number within
    the paper's interval, how many numbers); None where the run is held to
    none of them or every ratio is infinite (none dead where the paper has
    some)."""
    if "config" not in ds.attrs:  # not the workflow's merge: no settings to hold to the paper's
        return None
    ratio, within = paper_distance(ds)
    among = list(range(ds.sizes["setting"])) if among is None else sorted(among)
    finite = [i for i in among if np.isfinite(ratio[i])]
    if not finite:
        return None
    best = min(ratio[i] for i in finite)
    near = [i for i in finite if np.isclose(ratio[i], best, rtol=1e-9)]
    return near, float(best), bool(within[near[0]]), len(held_numbers(ds))


FIGURES = {
    "sensitivity": lambda ds, o: sensitivity_figure(ds, reproduction.dead_band(ds, PAPER_CLAIMS), dpi=o.dpi),
    "sensitivity_lr": lambda ds, o: learning_rate_figure(ds, reproduction.size_bands(ds, PAPER_CLAIMS), reproduction.dead_band(ds, PAPER_CLAIMS), dpi=o.dpi),
    "sensitivity_scale": lambda ds, o: loss_scale_figure(ds, reproduction.size_bands(ds, PAPER_CLAIMS), reproduction.dead_band(ds, PAPER_CLAIMS), dpi=o.dpi),
}
