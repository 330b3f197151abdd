"""E6's figure: linear pieces against the networks' sizes and training. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots

FIGURES = {
    "knots": lambda ds, o: plots.knots_figure(ds, dpi=o.dpi),
}
