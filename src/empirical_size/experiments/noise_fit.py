"""Fitting noise (E2, and E3 with mini-batches): one job = one grid point,
a contiguous range of trials.

Each trial draws its data from ``(namespace, "data", n, trial)`` and its
initial weights from ``(namespace, "init", depth, n, trial)``: networks of
different depths see the same data sets (paired comparisons across depth),
and no trial depends on the others in its job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import xarray as xr

from .. import networks, seeding
from .common import PAPER_ADADELTA, JobSpec, glorot_trials, noise_sets, per_trial
from ..batching import BatchPlan
from ..progress import Progress

log = logging.getLogger("empirical_size")


@dataclass(frozen=True)
class NoiseFitJob(JobSpec):
    depth: int
    n: int
    first_trial: int
    trials: int
    epochs: int
    record_every: int
    width: int = 64
    inputs: int = 3
    seed: int = 0
    namespace: str = "size"  # seed namespace; E3 reuses E2's to pair its trials
    dtype: str = "float32"
    batch_size: int | None = None
    batch_mode: str = "keep"
    shuffle: bool = True
    variant: str | None = None  # E3's batching variant, a grid coordinate of its merge
    optimizer: dict = field(default_factory=lambda: dict(PAPER_ADADELTA))

    @property
    def sizes(self) -> list[int]:
        return networks.layer_sizes(self.inputs, self.width, self.depth)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """``x (T, n, inputs)``, ``y (T, n, 1)`` in float64."""
        return noise_sets(self.seed, self.namespace, (self.n,), self.trial_ids, self.n, self.inputs)

    def initial_weights(self) -> networks.Weights:
        return glorot_trials(self.seed, self.namespace, (self.depth, self.n), self.trial_ids, self.sizes)

    def shuffle_rngs(self) -> list[np.random.Generator]:
        return per_trial(self.seed, self.namespace, "shuffle", (self.depth, self.n), self.trial_ids, lambda rng: rng)

    def plan(self) -> BatchPlan:
        return BatchPlan(self.n, self.batch_size, self.batch_mode, self.shuffle)


def memory_estimate(job: NoiseFitJob, trials: int | None = None) -> float:
    """Bytes a chunk of ``trials`` needs, roughly: data, weights with gradients
    and two Adadelta accumulators, and per layer the activations and their
    gradients for the batch, with a factor 2 for the compiler's temporaries."""
    trials = job.trials if trials is None else trials
    word = 8 if job.dtype == "float64" else 4
    plan = job.plan()
    params = networks.parameter_count(job.sizes)
    data = job.n * (job.inputs + 1)
    activations = plan.width * sum(job.sizes) * 4
    index = 0 if plan.full_batch else 4 * plan.steps_per_epoch * plan.width  # per epoch of indices
    return 2.0 * trials * (word * (data + 4 * params + activations) + index)


def check_memory(job: NoiseFitJob, available: float | None) -> None:
    """Refuse up front a chunk that would not fit, saying what would."""
    need = memory_estimate(job)
    if available is None or need <= 0.8 * available:
        return
    per_trial = memory_estimate(job, 1)
    fits = int(0.8 * available // per_trial)
    raise ValueError(
        f"a chunk of {job.trials} trials at depth {job.depth}, n={job.n} needs about {need / 2**30:.2f} GiB, "
        f"but {available / 2**30:.2f} GiB are available; set trials_per_job to at most {max(fits, 0)}"
        + ("" if fits >= 1 else " (not even one trial fits: reduce n or use a larger device)")
    )


def run(job: NoiseFitJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    """Train the job's trials and return its data set (dims ``trial``, ``epoch``)."""
    from ..engine import AdadeltaSettings, make_trainer
    from ..storage import provenance
    from ..training import divergence_variables, train_and_record

    from ..backend import available_memory

    check_memory(job, available_memory())
    start = time.perf_counter()
    x, y = job.data()
    trainer = make_trainer(job.sizes, job.trials, job.dtype, AdadeltaSettings(**job.optimizer))
    trainer.set_weights(job.initial_weights())
    plan = job.plan()
    log.info(
        "depth %d, n %d, trials %d-%d, %d epochs of %d step(s), %s, %s",
        job.depth, job.n, job.trial_ids[0], job.trial_ids[-1], job.epochs, plan.steps_per_epoch, job.dtype,
        trainer.__class__.__name__,
    )
    rec = train_and_record(
        trainer, x, y, epochs=job.epochs, record_every=job.record_every, plan=plan,
        shuffle_rngs=None if plan.full_batch else job.shuffle_rngs(),
        progress=Progress(job.epochs, every=progress_every),
        checkpoint=checkpoint,
    )
    wall = time.perf_counter() - start
    ds = xr.Dataset(
        {
            "mse": (("trial", "epoch"), rec["mse"], {"long_name": "training mean squared error", "description": "mean over the n training points of (f(x_i) - y_i)^2"}),
            "size": (("trial", "epoch"), rec["size"], {"long_name": "empirical size", "description": "sum over the n training points of f(x_i)^2"}),
            "sum_y2": (("trial",), (y[..., 0] ** 2).sum(axis=1), {"long_name": "perfect-fit size", "description": "sum over the n training points of y_i^2 (chi-squared, n degrees of freedom)"}),
            **divergence_variables(rec, rec["epoch"], ("trial",)),
            "steps_per_epoch": ((), plan.steps_per_epoch, {"long_name": "gradient steps per epoch", "description": f"batch sizes {plan.batch_lengths}"}),
        },
        coords={
            "trial": ("trial", job.trial_ids, {"long_name": "trial index"}),
            "epoch": ("epoch", rec["epoch"], {"long_name": "epochs trained", "units": "epochs"}),
            "depth": ((), job.depth, {"long_name": "hidden layers"}),
            "n": ((), job.n, {"long_name": "training points"}),
        },
    )
    if job.variant is not None:
        ds = ds.assign_coords(variant=((), job.variant, {"long_name": "batching variant"}))
    streams = {"data": ("n", "trial"), "init": ("depth", "n", "trial")}
    if not plan.full_batch:
        streams["shuffle"] = ("depth", "n", "trial")
    seeds = seeding.describe(job.seed, job.namespace, streams)
    ds.attrs.update(provenance(asdict(job), seeds, wall))
    ds.attrs["trained_dtype"] = job.dtype
    return ds

Job = NoiseFitJob
