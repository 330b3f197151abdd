"""What every figure shares: the colours, heat maps, colour scales, the
footer naming the settings that differ from the paper's, and saving. The
figures themselves are their experiments' (``experiments/<name>/figure.py``),
each returning its matplotlib Figure so tests can inspect panels and labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.cm  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Readable at the report's width; colour-blind safe colours (Okabe-Ito) for
# lines, and a perceptually uniform default map (plot.cmap: the paper's
# blue-to-red "jet" stays available).
plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 9})
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
DEFAULT_CMAP = "viridis"


def edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around (possibly uneven) centres, for pcolormesh."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def heatmap(ax, field: xr.DataArray, cmap: str, title: str, limits: tuple[float, float] | None = None):
    """Rows ``n`` increasing downward, one equal row per size (the sizes are
    labels, not a scale: rows of uneven sizes are not stretched), columns
    ``epoch`` increasing to the right; ``limits`` the colour range, shared by
    a figure's panels of one quantity."""
    sizes = field.n.values
    rows = np.arange(len(sizes) + 1)
    vmin, vmax = limits if limits is not None else (None, None)
    mesh = ax.pcolormesh(edges(field.epoch.values), rows, field.transpose("n", "epoch").values, cmap=cmap, shading="flat", vmin=vmin, vmax=vmax)
    ticks = np.unique(np.linspace(0, len(sizes) - 1, min(len(sizes), 10)).round().astype(int))
    ax.set_yticks(ticks + 0.5, [str(sizes[i]) for i in ticks])
    ax.set_ylim(len(sizes), 0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("n (a row per size)")
    ax.set_title(title)
    return mesh


def common_limits(*fields: xr.DataArray) -> tuple[float, float]:
    """One colour range for panels of one quantity: the data's finite range."""
    values = np.concatenate([np.asarray(f.values, float).ravel() for f in fields])
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)


def footer(fig: Figure, differences: list[str]) -> None:
    """A footer under the figure naming the settings that are not the paper's
    (one line, wrapped to the figure's width when long)."""
    if differences:
        import textwrap

        text = "Not the paper's settings: " + "; ".join(differences)
        width = int(fig.get_figwidth() * 15)  # characters of 8.5 pt a line
        fig.text(0.5, -0.01, "\n".join(textwrap.wrap(text, width)), ha="center", va="top", fontsize=8.5, color="0.25")


def divergence_note(count: int, total: int) -> str:
    return f"; {count} of {total} trial runs diverged and are left out" if count else ""


def mappable(cmap: str, limits: tuple[float, float]):
    """A colour bar's scale, shared by the panels it stands for."""
    return matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(*limits), cmap=cmap)


def save(fig: Figure, path: str) -> None:
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)  # the footer below the axes too
    plt.close(fig)


def ordered(values, preferred) -> list:
    """``values`` in the order of ``preferred``, unknown ones last."""
    values = list(values)
    return [v for v in preferred if v in values] + [v for v in values if v not in preferred]


DEPTH_COLORS = OKABE_ITO[:5]


def half(trials: int) -> float:
    """A 95% interval's half-width in standard errors of a mean over
    ``trials`` (Student's t, as the verdicts use; 2 s.e. would be an 86%
    interval on 4 trials)."""
    from .stats import t_quantile

    return t_quantile(max(trials - 1, 1))


