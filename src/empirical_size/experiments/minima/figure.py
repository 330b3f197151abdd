"""E4's figure: the paper's Figure 3. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots

FIGURES = {
    "fig3": lambda ds, o: plots.figure3(ds, dpi=o.dpi),
}
