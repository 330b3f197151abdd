"""E2's figure: the paper's Figure 1. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots

FIGURES = {
    "fig1": lambda ds, o: plots.figure1(ds, cmap=o.cmap, dpi=o.dpi),
}
