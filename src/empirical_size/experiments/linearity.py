"""E5, linearity of training (the paper's Figures 4 and 5): networks with
one input trained on ``X + N``, ``X`` and ``N``, where ``X`` is a random
linear spline and ``N`` Gaussian noise on the same inputs; the "diff" of a
trial is its ``X + N`` output minus the mean output of the ``X`` trials.

One job trains all three training sets; with ``shared_init`` the trials of
each set start from the same initial weights (paired comparisons).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import xarray as xr

from .. import networks, seeding, targets
from ..minibatch import BatchPlan
from ..paper import adadelta
from .common import JobSpec, glorot_trials
from .curves import train_functions, weight_variables

TRAINING_SETS = ("X+N", "X", "N")


@dataclass(frozen=True)
class LinearityJob(JobSpec):
    depth: int = 4
    width: int = 32
    n: int = 64
    trials: int = 5
    first_trial: int = 0
    knots: int = 8
    knot_positions: str = "random"
    domain: tuple = (-1.0, 1.0)
    sampling: str = "grid"
    spline_scale: float = 1.0
    noise_scale: float = 0.2
    checkpoints: tuple = (20, 100, 200, 1000, 2000, 4000)
    mse_times: int = 10
    shared_init: bool = True
    batch_size: int | None = None  # None: full batch (our choice; the paper is silent)
    shuffle: bool = True
    grid_points: int = 400
    seed: int = 0
    namespace: str = "linearity"
    dtype: str = "float32"
    optimizer: dict = field(default_factory=adadelta)

    @property
    def sizes(self):
        return networks.layer_sizes(1, self.width, self.depth)

    @property
    def mse_epochs(self) -> np.ndarray:
        """``mse_times`` equally spaced epochs up to the last checkpoint."""
        last = max(self.checkpoints)
        return np.unique(np.linspace(last / self.mse_times, last, self.mse_times).round().astype(int))

    @property
    def marks(self) -> list[int]:
        return sorted(set(map(int, self.checkpoints)) | set(self.mse_epochs.tolist()))

    def data(self):
        """Inputs ``(n, 1)``, the spline ``X`` and noise ``N`` on them, and the knots."""
        x = targets.sample_inputs(seeding.generator(self.seed, self.namespace, "inputs"), self.n, self.domain, self.sampling)
        kx, ky = targets.random_spline(seeding.generator(self.seed, self.namespace, "spline"), self.knots, self.domain, self.spline_scale, self.knot_positions)
        noise = seeding.generator(self.seed, self.namespace, "noise").normal(0.0, self.noise_scale, (self.n, 1))
        return x, targets.spline(x, kx, ky), noise, (kx, ky)


def run(job: LinearityJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    from ..engine import AdadeltaSettings, make_trainer
    from ..storage import provenance
    from ..training import divergence_variables

    start = time.perf_counter()
    x, spline_y, noise, (kx, ky) = job.data()
    sets = {"X+N": spline_y + noise, "X": spline_y, "N": noise}
    T, S = job.trials, len(TRAINING_SETS)
    # trial axis of the engine: (training set, trial) flattened
    ys = np.stack([sets[name] for name in TRAINING_SETS for _ in range(T)])
    xs = np.repeat(x[None], S * T, 0)
    if job.shared_init:
        one = glorot_trials(job.seed, job.namespace, (), job.trial_ids, job.sizes)
        weights = [(np.tile(k, (S, 1, 1)), np.tile(b, (S, 1))) for k, b in one]
    else:
        weights = networks.stack_trials(
            [[(k[t], b[t]) for k, b in glorot_trials(job.seed, job.namespace, (s,), job.trial_ids, job.sizes)] for s in range(S) for t in range(T)]
        )
    trainer = make_trainer(job.sizes, S * T, job.dtype, AdadeltaSettings(**job.optimizer))
    grid = np.linspace(*job.domain, job.grid_points)
    plan = BatchPlan(job.n, job.batch_size, "keep", job.shuffle)
    rngs = [seeding.generator(job.seed, job.namespace, "shuffle", s, int(t)) for s in range(S) for t in job.trial_ids]
    rec = train_functions(trainer, xs, ys, weights, grid, job.marks, plan, rngs, progress_every, checkpoint)

    def by_set(a):
        return a.reshape(S, T, *a.shape[1:])

    ds = xr.Dataset(
        {
            "output": (("set", "trial", "epoch", "x"), by_set(rec["on_grid"]), {"long_name": "network output f(x) on the plotting grid"}),
            "output_data": (("set", "trial", "epoch", "sample"), by_set(rec["on_data"]), {"long_name": "network output on the training inputs"}),
            "mse": (("set", "trial", "epoch"), by_set(rec["mse"]), {"long_name": "training mean squared error"}),
            "data_x": (("sample",), x[:, 0], {"long_name": "training inputs"}),
            "spline": (("sample",), spline_y[:, 0], {"long_name": "X: the random linear spline"}),
            "noise": (("sample",), noise[:, 0], {"long_name": "N: Gaussian noise"}),
            "knot_x": (("knot",), kx),
            "knot_y": (("knot",), ky),
            **weight_variables(rec, ("set", "trial", "epoch"), by_set),
            **divergence_variables(rec, rec["epoch"], ("set", "trial"), names=("mse", "on_grid"), reshape=by_set),
        },
        coords={
            "set": ("set", list(TRAINING_SETS), {"long_name": "training set"}),
            "trial": job.trial_ids,
            "epoch": rec["epoch"],
            "x": grid,
        },
        attrs={"checkpoints": list(map(int, job.checkpoints)), "mse_epochs": job.mse_epochs.tolist()},
    )
    streams = {"inputs": (), "spline": (), "noise": (), "init": ("trial",) if job.shared_init else ("set", "trial")}
    if not plan.full_batch:
        streams["shuffle"] = ("set", "trial")
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start, trainer.gradient_path))
    return ds


def diff_and_pure(ds: xr.Dataset, var: str = "output_data") -> xr.Dataset:
    """Row four of Figure 4 and the two curves of Figure 5.

    ``diff``: each trial trained on ``X + N`` minus the mean over trials of
    those trained on ``X``; ``pure``: the trials trained on ``N``. Both are
    compared with ``N`` by their MSE on the training inputs
    (``mse_diff``, ``mse_pure``, per trial and epoch). Diverged trials are NaN.
    """
    outputs = ds[var]
    if "diverged" in ds:  # diverged trials left out (NaN), of the mean over X's trials too
        outputs = outputs.where(~ds.diverged.astype(bool))
    diff = outputs.sel(set="X+N") - outputs.sel(set="X").mean("trial")
    pure = outputs.sel(set="N")
    out = xr.Dataset({"diff": diff, "pure": pure})
    if var == "output_data":
        out["mse_diff"] = ((diff - ds.noise) ** 2).mean("sample")
        out["mse_pure"] = ((pure - ds.noise) ** 2).mean("sample")
    return out


Job = LinearityJob
