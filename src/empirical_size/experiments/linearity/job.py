"""E5, linearity of training (the paper's Figures 4 and 5): networks with
one input trained on ``X + N``, ``X`` and ``N``, where ``X`` is a random
linear spline and ``N`` Gaussian noise on the same inputs; the "diff" of a
trial is its ``X + N`` output minus the mean output of the ``X`` trials.

One job trains all three training sets; with ``shared_init`` the trials of
each set start from the same initial weights (paired comparisons).

The frequency sweep (beyond the paper, which states without an experiment
that "the training time necessary to learn a function of a given frequency
increases with the frequency"): one job per frequency ``k`` trains E5's
network, from each E5 trial's own initial weights, full batch on E5's
inputs with the target ``sin(2 pi k (x - lo) / (hi - lo) + phase)``, a
phase per trial shared by every frequency (paired), recording the training
MSE; :func:`empirical_size.experiments.linearity.analysis.epochs_to_learn` reads from it
when each trial has learnt half of its target's variance.
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

TRAINING_SETS = ("X+N", "X", "N")


@dataclass(frozen=True, kw_only=True)
class E5Network(TrialsSpec):
    """What E5's own job and its frequency sweep share: the network, its
    inputs, trials and training settings."""

    depth: int
    width: int
    n: int
    trials: int
    domain: tuple
    sampling: str
    namespace: str = "linearity"

    @property
    def sizes(self):
        return networks.layer_sizes(1, self.width, self.depth)


@dataclass(frozen=True, kw_only=True)
class LinearityJob(E5Network):
    knots: int
    knot_positions: str
    spline_scale: float
    noise_scale: float
    checkpoints: tuple
    mse_times: int
    shared_init: bool
    batch_size: int | None  # None: full batch (our choice; the paper is silent)
    shuffle: bool
    grid_points: int

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
        x = inputs(self)
        kx, ky = targets.random_spline(seeding.generator(self.seed, self.namespace, "spline"), self.knots, self.domain, self.spline_scale, self.knot_positions)
        noise = seeding.generator(self.seed, self.namespace, "noise").normal(0.0, self.noise_scale, (self.n, 1))
        return x, targets.spline(x, kx, ky), noise, (kx, ky)


def inputs(job) -> np.ndarray:
    """E5's training inputs ``(n, 1)`` (its main job's and its sweep's)."""
    return targets.sample_inputs(seeding.generator(job.seed, job.namespace, "inputs"), job.n, job.domain, job.sampling)


def run(job: LinearityJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    """E5's job, or a job of its frequency sweep (:func:`run_frequency`)."""
    if isinstance(job, FrequencyJob):
        return run_frequency(job, progress_every, checkpoint)
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.loop import divergence_variables
    from ...training.storage import provenance

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


# -- the frequency sweep ---------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class FrequencyJob(E5Network):
    """One frequency of E5's sweep: E5's network and inputs on a sine of
    ``frequency`` cycles over the domain (its record's spec)."""

    frequency: int = 1
    frequency_epochs: int
    frequency_record_every: int

    def phases(self) -> np.ndarray:
        """Each trial's phase, uniform on ``[0, 2 pi)``: its own stream, the
        same at every frequency."""
        return np.array(per_trial(self.seed, self.namespace, "frequency_phase", (), self.trial_ids, lambda rng: rng.uniform(0.0, 2 * np.pi)))

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """E5's inputs ``(n, 1)`` and each trial's target ``(T, n, 1)``."""
        x = inputs(self)
        return x, sine(x, self.frequency, self.domain, self.phases())


def sine(x: np.ndarray, k: float, domain, phases) -> np.ndarray:
    """``sin(2 pi k (x - lo) / (hi - lo) + phase)`` for each phase: ``(T, n, 1)``
    from ``x (n, 1)``; ``k`` cycles over the domain, amplitude 1."""
    lo, hi = map(float, domain)
    angle = 2 * np.pi * k * (np.asarray(x, float)[None] - lo) / (hi - lo)
    return np.sin(angle + np.asarray(phases, float)[:, None, None])


def run_frequency(job: FrequencyJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    """Train the job's trials full batch from E5's trials' initial weights
    (``shared_init``'s), recording each trial's training MSE every
    ``frequency_record_every`` epochs."""
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.loop import divergence_variables, train_and_record
    from ...training.progress import Progress
    from ...training.storage import provenance

    start = time.perf_counter()
    x, y = job.data()
    T = job.trials
    trainer = make_trainer(job.sizes, T, job.dtype, AdadeltaSettings(**job.optimizer))
    trainer.set_weights(glorot_trials(job.seed, job.namespace, (), job.trial_ids, job.sizes))
    rec = train_and_record(
        trainer, np.repeat(x[None], T, 0), y, epochs=job.frequency_epochs, record_every=job.frequency_record_every,
        measure=lambda tr, xt, yt: {"mse": tr.evaluate(xt, yt)[0]},
        progress=Progress(job.frequency_epochs, every=progress_every), checkpoint=checkpoint,
    )  # fmt: skip
    variance = ((y - y.mean(axis=1, keepdims=True)) ** 2).mean(axis=(1, 2))
    ds = xr.Dataset(
        {
            "mse": (("trial", "epoch"), rec["mse"], {"long_name": "training mean squared error", "description": FREQ_MSE}),
            "target_variance": (("trial",), variance, {"long_name": "variance of the target", "description": FREQ_VARIANCE}),
            "phase": (("trial",), job.phases(), {"long_name": "phase of the target", "description": FREQ_PHASE}),
            **divergence_variables(rec, rec["epoch"], ("trial",), names=("mse",)),
        },
        coords={
            "frequency": ((), int(job.frequency), {"description": FREQUENCY}),
            "trial": job.trial_ids,
            "epoch": rec["epoch"],
        },
        attrs={"frequency_epochs": int(job.frequency_epochs), "frequency_record_every": int(job.frequency_record_every)},
    )
    streams = {"inputs": (), "frequency_phase": ("trial",), "init": ("trial",)}
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start, trainer.gradient_path))
    return ds


FREQUENCY = "cycles of the target sine over linearity.domain"
FREQ_EPOCH = "epochs after which the sweep's training MSE is recorded (every linearity.frequency_record_every)"
FREQ_MSE = "training MSE of E5's network on sin(2 pi k (x - lo) / (hi - lo) + phase), k = frequency, on E5's inputs"
FREQ_VARIANCE = "variance of each trial's target on the training inputs, mean of (y - mean y)^2: the MSE of the best constant"
FREQ_PHASE = "the trial's phase, uniform on [0, 2 pi), the same at every frequency"
SWEEP = {"mse": "freq_mse", "target_variance": "freq_target_variance", "phase": "freq_phase",
         "diverged": "freq_diverged", "diverged_epoch": "freq_diverged_epoch", "epoch": "freq_epoch"}  # fmt: skip


class Job:
    """The job of a spec: E5's own (:class:`LinearityJob`), or one frequency
    of its sweep (:class:`FrequencyJob`) when the spec names a frequency."""

    @staticmethod
    def from_dict(spec: dict):
        return (FrequencyJob if "frequency" in spec else LinearityJob).from_dict(spec)
