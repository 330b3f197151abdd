"""Fitting noise (E2, and E3 with mini-batches): one job = one grid point,
a contiguous range of trials; or, packed (:class:`PackedSizeJob`),
several sizes ``n`` of one depth trained together, each trial exactly as in
its own job (padded with masks, :mod:`empirical_size.training.packing`).

Each trial draws its data from ``(namespace, "data", n, trial)`` and its
initial weights from ``(namespace, "init", depth, n, trial)``: networks of
different depths see the same data sets (paired comparisons across depth),
and no trial depends on the others in its job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ...engine.minibatch import BatchPlan
from ...science import networks, seeding
from ...training.packing import pack
from ...training.progress import Progress
from ..common import TrialsSpec, glorot_trials, noise_sets, per_trial

log = logging.getLogger("empirical_size")


@dataclass(frozen=True, kw_only=True)
class _Trials(TrialsSpec):
    """What a job's trials share, one size (:class:`SizeJob`) or several
    (:class:`PackedSizeJob`)."""

    depth: int
    epochs: int
    record_every: int
    width: int
    inputs: int
    input_distribution: str  # networks.INPUT_DISTRIBUTIONS
    namespace: str = "size"  # seed namespace; E3 reuses E2's to pair its trials
    batch_size: int | None = None
    batch_mode: str = "keep"
    shuffle: bool = True
    variant: str | None = None  # E3's batching variant, a grid coordinate of its merge

    @property
    def sizes(self) -> list[int]:
        return networks.layer_sizes(self.inputs, self.width, self.depth)


@dataclass(frozen=True, kw_only=True)
class SizeJob(_Trials):
    n: int

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """``x (T, n, inputs)``, ``y (T, n, 1)`` in float64."""
        return noise_sets(self.seed, self.namespace, (self.n,), self.trial_ids, self.n, self.inputs, self.input_distribution)

    def initial_weights(self) -> networks.Weights:
        return glorot_trials(self.seed, self.namespace, (self.depth, self.n), self.trial_ids, self.sizes)

    def shuffle_rngs(self) -> list[np.random.Generator]:
        return per_trial(self.seed, self.namespace, "shuffle", (self.depth, self.n), self.trial_ids, lambda rng: rng)

    def plan(self) -> BatchPlan:
        return BatchPlan(self.n, self.batch_size, self.batch_mode, self.shuffle)


def memory_estimate(job: SizeJob, trials: int | None = None) -> float:
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


def check_memory(job: SizeJob, available: float | None) -> None:
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


@dataclass(frozen=True, kw_only=True)
class PackedSizeJob(_Trials):
    """Points of one depth and several sizes ``ns``, the same trials each;
    trains ``len(ns) * trials`` networks in one call: E2's full-batch
    points, or E3's mini-batch points whose sizes take the same number of
    steps an epoch (each its own last batch, :func:`empirical_size.experiments.batching.record.bucket`)."""

    ns: tuple[int, ...]

    def __post_init__(self):
        ns = tuple(int(n) for n in self.ns)
        if not ns or len(set(ns)) != len(ns):
            raise ValueError(f"ns must be distinct sizes, got {list(self.ns)}")
        object.__setattr__(self, "ns", ns)

    def points(self) -> list[SizeJob]:
        """The job of each packed size alone (same data, weights, results)."""
        fields = {k: v for k, v in asdict(self).items() if k != "ns"}
        return [SizeJob(**fields, n=n) for n in self.ns]

    def shuffle_rngs(self) -> list[np.random.Generator]:
        """Each point's trials' shuffle streams, in the packed order."""
        return [rng for p in self.points() for rng in p.shuffle_rngs()]


class Job:
    """A job spec: one size (``n``) or packed sizes (``ns``)."""

    @staticmethod
    def from_dict(spec: dict) -> SizeJob | PackedSizeJob:
        return (PackedSizeJob if "ns" in spec else SizeJob).from_dict(spec)


def run(job: SizeJob | PackedSizeJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    """Train the job's trials and return its data set (dims ``trial``,
    ``epoch``, and ``n`` for a packed job)."""
    from ...engine.backend import available_memory
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.loop import train_and_record

    points = job.points() if isinstance(job, PackedSizeJob) else [job]
    widest = max(points, key=lambda p: p.n)
    check_memory(SizeJob(**{**asdict(widest), "trials": len(points) * job.trials}), available_memory())
    start = time.perf_counter()
    data = [p.data() for p in points]
    settings = AdadeltaSettings(**job.optimizer)
    trainer = make_trainer(job.sizes, len(points) * job.trials, job.dtype, settings)
    trainer.set_weights(_concat_weights([p.initial_weights() for p in points]))
    plan = widest.plan()
    if len(points) == 1:
        x, y, mask = *data[0], None
    else:
        packed = pack(data)
        x, y, mask = packed.x, packed.y, packed.mask
    log.info(
        "depth %d, n %s, trials %d-%d, %d epochs of %d step(s), %s, %s",
        job.depth, ",".join(str(p.n) for p in points), job.trial_ids[0], job.trial_ids[-1], job.epochs,
        plan.steps_per_epoch, job.dtype, trainer.__class__.__name__,
    )
    rec = train_and_record(
        trainer, x, y, epochs=job.epochs, record_every=job.record_every, plan=plan, mask=mask,
        shuffle_rngs=None if plan.full_batch else job.shuffle_rngs(),
        progress=Progress(job.epochs, every=progress_every),
        checkpoint=checkpoint, reset_at_records=settings.reset_at_records,
    )
    wall = time.perf_counter() - start
    if not isinstance(job, PackedSizeJob):
        return _stamp(_dataset(job, rec, data[0][1], plan), job, plan, wall, trainer.gradient_path)
    # a packed job's file has an n dimension, also for a bucket of one size
    split = {k: packed.split(v) if len(points) > 1 else [v] for k, v in rec.items() if k != "epoch"}
    parts = [
        _dataset(p, {"epoch": rec["epoch"], **{k: v[i] for k, v in split.items()}}, data[i][1], p.plan())
        for i, p in enumerate(points)
    ]
    ds = xr.concat(parts, dim="n", data_vars="all", coords="minimal", combine_attrs="override")
    return _stamp(ds, job, plan, wall, trainer.gradient_path)


def _concat_weights(per_point: list[networks.Weights]) -> networks.Weights:
    return [tuple(np.concatenate([w[layer][k] for w in per_point]) for k in (0, 1)) for layer in range(len(per_point[0]))]


def _dataset(job: SizeJob, rec: dict, y: np.ndarray, plan: BatchPlan) -> xr.Dataset:
    """One size's data set from its records (provenance: :func:`_stamp`)."""
    from ...training.loop import divergence_variables

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
    return ds


def _stamp(ds: xr.Dataset, job, plan: BatchPlan, wall: float, gradients: str) -> xr.Dataset:
    """Provenance: the job's spec, its seed streams, the machine."""
    from ...training.storage import provenance

    streams = {"data": ("n", "trial"), "init": ("depth", "n", "trial")}
    if not plan.full_batch:
        streams["shuffle"] = ("depth", "n", "trial")
    seeds = seeding.describe(job.seed, job.namespace, streams)
    ds.attrs.update(provenance(asdict(job), seeds, wall, gradients))
    ds.attrs["trained_dtype"] = job.dtype
    return ds
