"""Training networks with one input on a function, recording their output
functions on a grid (E4 and E5 share this)."""

from __future__ import annotations

import numpy as np

from ..batching import BatchPlan
from ..progress import Progress


def train_functions(trainer, x, y, weights, grid, marks, plan: BatchPlan | None = None, shuffle_rngs=None, progress_every=10.0):
    """Train from ``weights`` on ``x (T, n, 1)``, ``y (T, n, 1)``; after each
    epoch in ``marks`` record each trial's training MSE, its outputs on the
    training inputs and on ``grid (G,)``. Returns ``epoch``, ``mse (T, R)``,
    ``on_data (T, R, n)``, ``on_grid (T, R, G)``."""
    from ..training import train_and_record

    trials = x.shape[0]
    grid_in = trainer.cast(np.broadcast_to(np.asarray(grid, float)[None, :, None], (trials, len(grid), 1)))

    def measure(tr, xt, yt):
        mse, _ = tr.evaluate(xt, yt)
        return {"mse": mse, "on_data": tr.predict(xt)[..., 0], "on_grid": tr.predict(grid_in)[..., 0]}

    trainer.set_weights(weights)
    return train_and_record(
        trainer, x, y, marks=marks, measure=measure, plan=plan, shuffle_rngs=shuffle_rngs,
        progress=Progress(int(max(marks)), every=progress_every),
    )
