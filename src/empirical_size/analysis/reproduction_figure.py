"""The answer at a glance: every claim's 95% interval against the paper's
value or our reading of its words, one row per claim, as a forest plot.

Drawn from ``results/reproduction.csv`` alone. Claims are on different
scales (a fraction, a size, a ratio, a slope), so each row has an axis of
its own, its limits around the reading and our interval; a ratio's row is
on a log scale. The reading is a shaded band (an open end drawn as an
arrow), ours a point with its interval, coloured by verdict; a row that is
not comparable says why in a word instead. Tests read the drawing back from
its artists: each row's axes is labelled with its claim's id, the band has
gid ``reading``, our point gid ``ours``.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter  # noqa: E402

# Okabe-Ito: colour-blind safe, and each verdict also has its own marker
COLOURS = {"reproduced": "#009E73", "contradicted": "#D55E00", "inconclusive": "#E69F00", "not comparable": "#999999"}
MARKERS = {"reproduced": "o", "contradicted": "X", "inconclusive": "D", "not comparable": "s"}
BAND = "#56B4E9"
ROW_INCHES = 0.5


def why_in_a_word(why: str) -> str:
    """A not-comparable row's reason, in a word or two."""
    why = str(why)
    if why.startswith("run at other settings"):
        return "other settings" if "trial(s) measured" not in why else "too few trials"
    if why.startswith("this design cannot answer it"):
        return "unanswerable here"
    if why.startswith("no ") and "data set" in why:
        return "no data"
    return "cannot measure"


def _finite(*values) -> list[float]:
    return [float(v) for v in values if v is not None and np.isfinite(v)]


def _limits(row, log: bool) -> tuple[float, float]:
    """The row's x range: the reading's finite ends and our interval, with a margin."""
    points = _finite(row.paper_low, row.paper_high, row.ours_low, row.ours_high, row.ours, row.paper_value)
    if log:
        points = [p for p in points if p > 0] or [1.0]
        low, high = min(points), max(points)
        span = max(math.log(high / low), math.log(1.5))
        return low / math.exp(0.25 * span), high * math.exp(0.25 * span)
    low, high = (min(points), max(points)) if points else (0.0, 1.0)
    span = high - low or abs(high) or 1.0
    return low - 0.25 * span, high + 0.25 * span


def _band(ax, row, xlim) -> None:
    """The reading as a band, an open end drawn as an arrow to the axis' edge."""
    low = row.paper_low if np.isfinite(row.paper_low) else xlim[0]
    high = row.paper_high if np.isfinite(row.paper_high) else xlim[1]
    hatch = "//" if str(row.reading).startswith("post hoc") else None
    ax.axvspan(max(low, xlim[0]), min(high, xlim[1]), color=BAND, alpha=0.35, hatch=hatch, lw=0, gid="reading")
    for end, edge, direction in ((row.paper_low, xlim[0], -1), (row.paper_high, xlim[1], 1)):
        if not np.isfinite(end):  # open: an arrow along the band toward the axis edge
            start = row.paper_high if direction < 0 else row.paper_low
            ax.annotate("", xy=(edge, 0.12), xytext=(start, 0.12), xycoords=("data", "axes fraction"),
                        arrowprops={"arrowstyle": "->", "color": BAND, "lw": 1.5}, gid="open end")  # fmt: skip
    if np.isfinite(row.paper_value):
        ax.axvline(row.paper_value, color=BAND, lw=1.5, gid="paper value")


def forest(frame: pd.DataFrame, dpi: int = 120) -> Figure:
    """One row per claim of ``frame`` (the reproduction table), in its order,
    grouped by experiment (E1-E6)."""
    groups = list(dict.fromkeys(frame["group"]))
    heights = []
    for g in groups:
        heights += [0.55] + [1.0] * int((frame["group"] == g).sum())  # a title line, then the claims
    inches = ROW_INCHES * sum(heights) + 1.3
    fig = plt.figure(figsize=(10.5, inches), dpi=dpi)
    grid = fig.add_gridspec(len(heights), 2, width_ratios=[1.1, 1.0], height_ratios=heights, hspace=0.55, wspace=0.04,
                            left=0.02, right=0.98, top=1 - 0.55 / inches, bottom=1.0 / inches)  # fmt: skip
    slot = 0
    for g in groups:
        title = fig.add_subplot(grid[slot, :])
        title.axis("off")
        title.text(0.0, 0.0, g, fontsize=12, fontweight="bold", va="bottom", transform=title.transAxes)
        slot += 1
        for row in frame[frame["group"] == g].itertuples():
            _row(fig, grid, slot, row)
            slot += 1
    handles = [Line2D([], [], color=COLOURS[v], marker=MARKERS[v], ls="-", label=v) for v in COLOURS]
    handles += [Patch(color=BAND, alpha=0.35, label="the paper's value or our reading"),
                Patch(facecolor=BAND, alpha=0.35, hatch="//", label="a reading chosen after the data (post hoc)")]  # fmt: skip
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle("The paper's claims against this run: our 95% intervals (each row its own scale)", fontsize=12)
    return fig


def _row(fig, grid, slot, row) -> None:
    label = fig.add_subplot(grid[slot, 0])
    label.axis("off")
    label.text(0.98, 0.62, row.short + ("  (post hoc)" if str(row.reading).startswith("post hoc") else ""),
               ha="right", va="center", fontsize=9.5, transform=label.transAxes)  # fmt: skip
    if row.verdict == "not comparable":
        label.text(0.98, 0.05, why_in_a_word(row.why), ha="right", va="center", fontsize=8, style="italic",
                   color=COLOURS["not comparable"], transform=label.transAxes, gid="why")  # fmt: skip
    ax = fig.add_subplot(grid[slot, 1], label=row.claim)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", which="both", labelsize=8, length=2, pad=1)
    log = bool(row.log_scale)
    if log:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0), numticks=4) if log else MaxNLocator(5))
    percent = str(getattr(row, "unit", "")) == "percent"
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.3g}%" if percent else f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    xlim = _limits(row, log)
    ax.set_xlim(xlim)
    ax.set_ylim(0, 1)
    _band(ax, row, xlim)
    colour = COLOURS.get(row.verdict, COLOURS["not comparable"])
    if np.isfinite(row.ours):
        low, high = (row.ours_low, row.ours_high) if np.isfinite(row.ours_low) else (row.ours, row.ours)
        ax.errorbar([row.ours], [0.5], xerr=[[row.ours - low], [high - row.ours]], fmt=MARKERS.get(row.verdict, "s"),
                    color=colour, ms=6, capsize=3, lw=1.6, gid="ours")  # fmt: skip


def draw(csv: str, out: str, dpi: int = 120) -> None:
    """``results/reproduction.csv`` -> the forest plot at ``out`` (written
    whole or not at all)."""
    from pathlib import Path

    fig = forest(pd.read_csv(csv), dpi=dpi)
    tmp = Path(out).with_suffix(".part.png")
    fig.savefig(tmp, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    tmp.replace(out)
