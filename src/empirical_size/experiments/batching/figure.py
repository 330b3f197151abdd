"""E3's figures: the paper's Figure 2 for a variant, and the variants side by side. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots

FIGURES = {
    "fig2": lambda ds, o: plots.figure2(ds, o.variant, cmap=o.cmap, dpi=o.dpi),
    "fig2_compare": lambda ds, o: plots.figure2_compare(ds, cmap=o.cmap, dpi=o.dpi),
}
