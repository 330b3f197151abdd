"""E7's figures: E1's and E2's numbers per setting, against the learning rate, and against the loss scale. Drawn by :mod:`empirical_size.plots`;
the CLI's ``plot`` calls ``FIGURES[name](data set, options)``."""

from __future__ import annotations

from ... import plots, reproduction

FIGURES = {
    "sensitivity": lambda ds, o: plots.sensitivity_figure(ds, reproduction.dead_band(ds), dpi=o.dpi),
    "sensitivity_lr": lambda ds, o: plots.learning_rate_figure(ds, reproduction.size_bands(ds), reproduction.dead_band(ds), dpi=o.dpi),
    "sensitivity_scale": lambda ds, o: plots.loss_scale_figure(ds, reproduction.size_bands(ds), reproduction.dead_band(ds), dpi=o.dpi),
}
