"""Training networks with one input on a function, recording their output
functions on a grid (E4 and E5 share this)."""

from __future__ import annotations

import numpy as np

from ..engine.minibatch import BatchPlan
from ..training.progress import Progress


def train_functions(trainer, x, y, weights, grid, marks, plan: BatchPlan | None = None, shuffle_rngs=None, progress_every=10.0, checkpoint=None):
    """Train from ``weights`` on ``x (T, n, 1)``, ``y (T, n, 1)``; after each
    epoch in ``marks`` record each trial's training MSE, its outputs on the
    training inputs and on ``grid (G,)``. Returns ``epoch``, ``mse (T, R)``,
    ``on_data (T, R, n)``, ``on_grid (T, R, G)`` and the weights
    ``kernel_i (T, R, fan_in, fan_out)``, ``bias_i (T, R, fan_out)``."""
    from ..training.loop import train_and_record

    trials = x.shape[0]
    grid_in = trainer.cast(np.broadcast_to(np.asarray(grid, float)[None, :, None], (trials, len(grid), 1)))

    def measure(tr, xt, yt):
        mse, _ = tr.evaluate(xt, yt)
        out = {"mse": mse, "on_data": tr.predict(xt)[..., 0], "on_grid": tr.predict(grid_in)[..., 0]}
        for i, (kernel, bias) in enumerate(tr.get_weights()):  # for exact piece counts (E6)
            out[f"kernel_{i}"], out[f"bias_{i}"] = kernel, bias
        return out

    trainer.set_weights(weights)
    return train_and_record(
        trainer, x, y, marks=marks, measure=measure, plan=plan, shuffle_rngs=shuffle_rngs,
        progress=Progress(int(max(marks)), every=progress_every), checkpoint=checkpoint,
    )


def weight_variables(rec: dict, lead: tuple[str, ...], reshape=lambda a: a) -> dict:
    """The recorded weights as data variables: ``kernel_i`` with dims
    ``(*lead, unit_i, unit_{i+1})`` and ``bias_i`` with ``(*lead, unit_{i+1})``
    (``unit_0`` is the input)."""
    out = {}
    i = 0
    while f"kernel_{i}" in rec:
        desc = {"description": f"weights of layer {i + 1} at each recorded epoch"}
        out[f"kernel_{i}"] = ((*lead, f"unit_{i}", f"unit_{i + 1}"), reshape(rec[f"kernel_{i}"]), desc)
        out[f"bias_{i}"] = ((*lead, f"unit_{i + 1}"), reshape(rec[f"bias_{i}"]), desc)
        i += 1
    return out


def stacked_weights(ds, **sel) -> list:
    """``[(kernel, bias), ...]`` of a data set from :func:`weight_variables`,
    selected with ``sel`` down to leading dims the caller iterates over."""
    out, i = [], 0
    while f"kernel_{i}" in ds:
        out.append((ds[f"kernel_{i}"].sel(**sel).values, ds[f"bias_{i}"].sel(**sel).values))
        i += 1
    return out
