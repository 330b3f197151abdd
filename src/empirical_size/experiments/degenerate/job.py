"""E1, degenerate neurons (paper section 2.1): how many neurons of a deep,
narrow ReLU network are identically zero on the data, at initialisation and
after a few full-batch steps, and on a large fresh sample of inputs.

One job runs every experiment (trial): each has its own data, fresh sample
and initial weights, from streams keyed by the trial index.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ...engine.minibatch import BatchPlan, trial_keys
from ...science import networks, seeding
from ..common import TrialsSpec, glorot_trials, noise_sets, per_trial
from .measures import dead_neurons

log = logging.getLogger("empirical_size")


@dataclass(frozen=True, kw_only=True)
class DegenerateJob(TrialsSpec):
    trials: int
    depth: int
    width: int
    inputs: int
    input_distribution: str  # networks.INPUT_DISTRIBUTIONS, of the data and the fresh sample
    n: int
    steps: int
    fresh_samples: int
    batch_size: int | None = None  # None: full batch (the paper); else `steps` epochs of these, as Keras' fit
    namespace: str = "degenerate"

    @property
    def sizes(self) -> list[int]:
        return networks.layer_sizes(self.inputs, self.width, self.depth)

    def data(self):
        return noise_sets(self.seed, self.namespace, (), self.trial_ids, self.n, self.inputs, self.input_distribution)

    def fresh(self) -> np.ndarray:
        def make(rng):
            return networks.inputs_from_normal(rng.standard_normal((self.fresh_samples, self.inputs)), self.input_distribution)

        return np.stack(per_trial(self.seed, self.namespace, "fresh", (), self.trial_ids, make))

    def initial_weights(self) -> networks.Weights:
        return glorot_trials(self.seed, self.namespace, (), self.trial_ids, self.sizes)

    def plan(self) -> BatchPlan:
        return BatchPlan(self.n, self.batch_size, "keep", shuffle=True)

    def shuffle_rngs(self) -> list[np.random.Generator]:
        return per_trial(self.seed, self.namespace, "shuffle", (), self.trial_ids, lambda rng: rng)


def run(job: DegenerateJob, progress_every: float = 10.0) -> xr.Dataset:
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.storage import provenance

    start = time.perf_counter()
    x, y = job.data()
    fresh = job.fresh()
    weights = job.initial_weights()
    trainer = make_trainer(job.sizes, job.trials, job.dtype, AdadeltaSettings(**job.optimizer))
    trainer.set_weights(weights)
    plan = job.plan()
    if plan.full_batch:
        trainer.train_full(trainer.cast(x), trainer.cast(y), job.steps)
    else:  # Keras' fit(epochs=steps, batch_size=...): shuffled batches, the remainder kept
        trainer.train_batches(trainer.cast(x), trainer.cast(y), plan, trial_keys(job.shuffle_rngs()), 0, job.steps)
    trained = trainer.get_weights()
    # Count in the precision the network trained in: a pre-activation at the
    # edge of zero must be judged as the network itself computes it.
    dt = np.dtype(job.dtype)
    weights = [(k.astype(dt), b.astype(dt)) for k, b in weights]
    x, fresh = x.astype(dt), fresh.astype(dt)
    what = "full-batch steps" if plan.full_batch else f"epochs of {plan.steps_per_epoch} batches"
    log.info("trained %d trials for %d %s; counting dead neurons", job.trials, job.steps, what)

    counts = {}
    for stage, w in (("init", weights), ("trained", trained)):
        for sample, inputs in (("data", x), ("fresh", fresh)):
            counts[stage, sample] = dead_neurons(w, inputs).sum(axis=-1)  # (trial, layer)
    dead = np.stack([np.stack([counts[st, sa] for sa in ("data", "fresh")]) for st in ("init", "trained")])
    # 5 steps at learning rate 1 can overflow; such a trial's counts mean nothing
    diverged = ~np.all([np.isfinite(a).all(axis=tuple(range(1, a.ndim))) for pair in trained for a in pair], axis=0)
    if diverged.any():
        log.warning("%d of %d experiments diverged (NaN or infinite weights): %s", diverged.sum(), job.trials, job.trial_ids[diverged].tolist())
    ds = xr.Dataset(
        {
            "diverged": (("trial",), diverged.astype(np.int8), {"long_name": "experiment diverged", "description": "1 if training left NaN or infinite weights; tables leave it out"}),
            "dead": (
                ("stage", "sample", "trial", "layer"),
                dead,
                {
                    "long_name": "dead neurons",
                    "description": "hidden neurons whose ReLU output is exactly 0 on every input of the sample",
                },
            ),
        },
        coords={
            "stage": ("stage", ["init", "trained"], {"description": f"at initialisation; after {job.steps} {what}"}),
            "sample": ("sample", ["data", "fresh"], {"description": f"the {job.n} training inputs; {job.fresh_samples} fresh {networks.INPUT_DISTRIBUTIONS[job.input_distribution]} inputs"}),
            "trial": ("trial", job.trial_ids),
            "layer": ("layer", np.arange(1, job.depth + 1), {"description": "hidden layer, counted from the input"}),
        },
        attrs={"width": job.width},
    )
    streams = {"data": ("trial",), "fresh": ("trial",), "init": ("trial",)}
    if not plan.full_batch:
        streams["shuffle"] = ("trial",)
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start, trainer.gradient_path))
    return ds


Job = DegenerateJob
