"""E1's figure: the fraction of each layer's neurons dead, the paper's
points marked. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots, reproduction

FIGURES = {
    "degenerate": lambda ds, o: plots.degenerate_figure(ds, marked=o.marked, dpi=o.dpi, paper=reproduction.dead_points()),
}
