"""E5's figures: the paper's Figures 4 and 5. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots

FIGURES = {
    "fig4": lambda ds, o: plots.figure4(ds, dpi=o.dpi),
    "fig5": lambda ds, o: plots.figure5(ds, dpi=o.dpi),
}
