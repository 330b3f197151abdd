"""E4, local minima (the paper's Figure 3): deep, wide networks with one
input fitting a high-frequency sawtooth, and their output functions during
training. Zero initial biases put every first-layer knot at x = 0, so the
fit grows "from the inside out"; the ``uniform`` variant draws biases from
``U(-bias_scale, bias_scale)`` instead, with the same kernels.

All trials of a job share one data set; each trial has its own weights.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ...engine.minibatch import BatchPlan
from ...science import networks, seeding, targets
from ..common import TrialsSpec, glorot_trials, per_trial
from ..curves import train_functions, weight_variables

BIAS_VARIANTS = ("zero", "uniform")


@dataclass(frozen=True, kw_only=True)
class MinimaJob(TrialsSpec):
    variant: str = "zero"
    depth: int
    width: int
    n: int
    trials: int
    batch_size: int
    shuffle: bool
    checkpoints: tuple
    domain: tuple
    teeth: int
    amplitude: float
    sampling: str
    bias_scale: float = 0.0  # half-width of uniform initial biases; used by the 'uniform' variant
    grid_points: int
    namespace: str = "minima"

    def __post_init__(self):
        if self.variant not in BIAS_VARIANTS:
            raise ValueError(f"variant must be one of {BIAS_VARIANTS}, got {self.variant!r}")
        if self.variant == "uniform" and self.bias_scale <= 0:
            raise ValueError("the 'uniform' bias variant needs bias_scale > 0")

    @property
    def sizes(self):
        return networks.layer_sizes(1, self.width, self.depth)

    def data(self):
        x = targets.sample_inputs(seeding.generator(self.seed, self.namespace, "data"), self.n, self.domain, self.sampling)
        return x, targets.sawtooth(x, self.domain, self.teeth, self.amplitude)

    def grid(self):
        return np.linspace(*self.domain, self.grid_points)


def run(job: MinimaJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.loop import divergence_variables
    from ...training.storage import provenance

    start = time.perf_counter()
    x, y = job.data()
    xs, ys = np.repeat(x[None], job.trials, 0), np.repeat(y[None], job.trials, 0)
    bias = job.bias_scale if job.variant == "uniform" else 0.0
    weights = glorot_trials(job.seed, job.namespace, (), job.trial_ids, job.sizes, bias_scale=bias)
    trainer = make_trainer(job.sizes, job.trials, job.dtype, AdadeltaSettings(**job.optimizer))
    plan = BatchPlan(job.n, job.batch_size, "keep", job.shuffle)
    rngs = per_trial(job.seed, job.namespace, "shuffle", (), job.trial_ids, lambda rng: rng)
    grid = job.grid()
    rec = train_functions(trainer, xs, ys, weights, grid, list(job.checkpoints), plan, rngs, progress_every, checkpoint)
    ds = xr.Dataset(
        {
            "output": (("trial", "epoch", "x"), rec["on_grid"], {"long_name": "network output f(x) on the plotting grid"}),
            "mse": (("trial", "epoch"), rec["mse"], {"long_name": "training mean squared error"}),
            "target": (("x",), targets.sawtooth(grid, job.domain, job.teeth, job.amplitude), {"long_name": "sawtooth target"}),
            "data_x": (("sample",), x[:, 0], {"long_name": "training inputs"}),
            "data_y": (("sample",), y[:, 0], {"long_name": "training targets"}),
            **weight_variables(rec, ("trial", "epoch")),
            **divergence_variables(rec, rec["epoch"], ("trial",), names=("mse", "on_grid")),
        },
        coords={"trial": job.trial_ids, "epoch": rec["epoch"], "x": grid, "variant": ((), job.variant, {"long_name": "initial biases"})},
    )
    streams = {"data": (), "init": ("trial",), "shuffle": ("trial",)}
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start, trainer.gradient_path))
    return ds


Job = MinimaJob
