"""E6 (beyond the paper): exact numbers of linear pieces of networks with one
input and one output, at initialisation over a grid of widths and depths,
after a few training steps from the paper's initialisation over the same
grid, and during training of the E4 and E5 networks (from their recorded
weights).

At initialisation the biases are drawn from ``U(-bias_scale, bias_scale)``:
with the paper's zero biases every network is positively homogeneous,
``f(x) = x f(sign x)``, so it has at most two pieces.

After a few steps (the paper's introduction: "after a small number of
gradient descent training steps, such a network will have O(NK) pieces,
rather than O(N^K)"): the paper's initialisation (Glorot-uniform kernels,
zero biases), trained full batch on E5's kind of data (a random linear
spline plus Gaussian noise on evenly spaced inputs of [-1, 1], one data set
for every network), pieces counted on the data's domain after each of
``steps`` steps (0: the initialisation).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import xarray as xr

from ...paper import adadelta
from ...science import networks, seeding, targets
from ...science.pieces import count_pieces
from ..common import JobSpec, glorot_trials, per_trial

log = logging.getLogger("empirical_size")


@dataclass(frozen=True, kw_only=True)
class _Networks(JobSpec):
    """E6's grid of networks and their trials, shared by both of its jobs
    (given by its record's spec: the schema holds their defaults)."""

    widths: tuple
    depths: tuple
    trials: int
    first_trial: int = 0
    seed: int
    namespace: str = "knots"


@dataclass(frozen=True, kw_only=True)
class KnotsJob(_Networks):
    """Pieces at initialisation, biases uniform in ``(-bias_scale, bias_scale)``."""

    bias_scale: float


@dataclass(frozen=True, kw_only=True)
class KnotsTrainingJob(_Networks):
    """Pieces after ``steps`` full-batch steps from the paper's initialisation."""

    steps: tuple
    train_points: int
    # the training data: E5's kind (a random linear spline plus noise), fixed here
    domain: tuple = (-1.0, 1.0)
    spline_knots: int = 8
    spline_scale: float = 1.0
    noise_scale: float = 0.2
    dtype: str
    optimizer: dict = field(default_factory=adadelta)

    def __post_init__(self):
        steps = [int(s) for s in self.steps]
        if not steps or steps[0] < 0 or any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"steps must be non-negative and increasing, got {list(self.steps)}")

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Inputs ``(n, 1)`` evenly spaced on ``domain`` and targets: a random
        linear spline plus ``N(0, noise_scale^2)`` noise, shared by every network."""
        x = targets.sample_inputs(seeding.generator(self.seed, self.namespace, "train_inputs"), self.train_points, self.domain, "grid")
        kx, ky = targets.random_spline(seeding.generator(self.seed, self.namespace, "train_spline"), self.spline_knots, self.domain, self.spline_scale)
        noise = seeding.generator(self.seed, self.namespace, "train_noise").normal(0.0, self.noise_scale, (self.train_points, 1))
        return x, targets.spline(x, kx, ky) + noise

    def initial_weights(self, width: int, depth: int) -> networks.Weights:
        """The paper's initialisation: Glorot-uniform kernels, zero biases
        (streams of their own, independent of the initialisation counts')."""
        sizes = networks.layer_sizes(1, width, depth)
        draw = lambda rng: networks.glorot_uniform(rng, sizes, bias_scale=0.0)  # noqa: E731
        return networks.stack_trials(per_trial(self.seed, self.namespace, "train_init", (width, depth), self.trial_ids, draw))


class Job:
    """The job a spec describes: pieces after training where it has ``steps``,
    else at initialisation (``empirical_size.training.job.train`` calls ``from_dict``)."""

    @staticmethod
    def from_dict(spec: dict) -> KnotsJob | KnotsTrainingJob:
        return (KnotsTrainingJob if "steps" in spec else KnotsJob).from_dict(spec)


def run(job: KnotsJob | KnotsTrainingJob, progress_every: float = 10.0) -> xr.Dataset:
    if isinstance(job, KnotsTrainingJob):
        return run_training(job, progress_every)
    return run_init(job)


def run_init(job: KnotsJob) -> xr.Dataset:
    from ...training.storage import provenance

    start = time.perf_counter()
    counts = np.zeros((len(job.widths), len(job.depths), job.trials), dtype=np.int64)
    for i, width in enumerate(job.widths):
        for j, depth in enumerate(job.depths):
            sizes = networks.layer_sizes(1, width, depth)
            weights = glorot_trials(job.seed, job.namespace, (width, depth), job.trial_ids, sizes, bias_scale=job.bias_scale)
            counts[i, j] = count_pieces(weights)
    ds = xr.Dataset(
        {"pieces": (("width", "depth", "trial"), counts, {"long_name": "linear pieces on the real line at initialisation"})},
        coords={"width": list(job.widths), "depth": list(job.depths), "trial": job.trial_ids},
    )
    streams = {"init": ("width", "depth", "trial")}
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start))
    return ds


PIECES_TRAINED = (
    "linear pieces on the data's domain after the given number of full-batch training steps from the paper's"
    " initialisation (Glorot-uniform kernels, zero biases; step 0: the initialisation, at most 2 pieces);"
    " -1 where a trial's weights are not finite"
)


def pieces_of(weights: networks.Weights, interval: tuple[float, float]) -> np.ndarray:
    """Pieces of each trial of stacked weights on ``interval``; -1 for a trial
    whose weights are not all finite (a diverged trial)."""
    finite = np.ones(weights[0][0].shape[0], dtype=bool)
    for kernel, bias in weights:
        finite &= np.isfinite(kernel).all(axis=(1, 2)) & np.isfinite(bias).all(axis=1)
    out = np.full(finite.shape, -1, dtype=np.int64)
    if finite.any():
        out[finite] = count_pieces([(k[finite], b[finite]) for k, b in weights], interval)
    return out


def _trained_network(job: KnotsTrainingJob, width: int, depth: int, xs, ys, interval, steps) -> tuple[np.ndarray, np.ndarray, str]:
    """One (width, depth)'s trials from the paper's initialisation: pieces and
    training MSE ``(step, trial)`` after each of ``steps`` steps, and the
    trainer's gradient path."""
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.loop import train_and_record
    from ...training.progress import Progress

    def measure(trainer, *_):  # in numpy from the trainer's weights (its own evaluate compiles per network)
        weights = [(np.asarray(k, np.float64), np.asarray(b, np.float64)) for k, b in trainer.get_weights()]
        with np.errstate(all="ignore"):
            error = ((networks.forward(weights, xs) - ys) ** 2).mean(axis=(1, 2))
        return {"pieces": pieces_of(weights, interval), "mse": error}

    counts, mse = np.zeros((len(steps), job.trials), dtype=np.int64), np.zeros((len(steps), job.trials))
    marks = [s for s in steps if s > 0]
    trainer = make_trainer(networks.layer_sizes(1, width, depth), job.trials, job.dtype, AdadeltaSettings(**job.optimizer))
    trainer.set_weights(job.initial_weights(width, depth))
    if steps[0] == 0:  # the initialisation, as the trainer holds it
        first = measure(trainer)
        counts[0], mse[0] = first["pieces"], first["mse"]
    if marks:
        quiet = Progress(marks[-1], every=float("inf"), emit=lambda line: None)
        rec = train_and_record(trainer, xs, ys, marks=marks, measure=measure, progress=quiet)
        counts[len(steps) - len(marks) :] = rec["pieces"].T
        mse[len(steps) - len(marks) :] = rec["mse"].T
    return counts, mse, trainer.gradient_path


def run_training(job: KnotsTrainingJob, progress_every: float = 10.0) -> xr.Dataset:
    """Every (width, depth): its trials trained from the paper's
    initialisation on one data set, full batch, by the engine; pieces and the
    training MSE after each of ``steps`` steps."""
    from ...training.progress import Progress
    from ...training.storage import provenance

    start = time.perf_counter()
    x, y = job.data()
    T = job.trials
    xs, ys = np.repeat(x[None], T, 0), np.repeat(y[None], T, 0)
    interval = tuple(map(float, job.domain))
    steps = [int(s) for s in job.steps]
    shape = (len(job.widths), len(job.depths), len(steps), T)
    counts, mse = np.zeros(shape, dtype=np.int64), np.zeros(shape)
    progress = Progress(len(job.widths) * len(job.depths), label="networks", every=progress_every)
    gradients = ""
    for i, width in enumerate(job.widths):
        for j, depth in enumerate(job.depths):
            counts[i, j], mse[i, j], gradients = _trained_network(job, width, depth, xs, ys, interval, steps)
            progress.update(i * len(job.depths) + j + 1)
    bad = int((counts < 0).any(axis=2).sum())
    if bad:
        log.warning("%d trial runs diverged (non-finite weights); their pieces are -1", bad)
    dims = ("width", "depth", "step", "trial")
    ds = xr.Dataset(
        {
            "pieces_trained": (dims, counts, {"long_name": "linear pieces after training steps", "description": PIECES_TRAINED}),
            "mse_trained": (dims, mse, {"long_name": "training mean squared error after training steps", "description": "of the trainer's weights, in float64"}),
            "data_x": (("sample",), x[:, 0], {"long_name": "training inputs"}),
            "data_y": (("sample",), y[:, 0], {"long_name": "training targets: a random linear spline plus noise"}),
        },
        coords={
            "width": list(job.widths),
            "depth": list(job.depths),
            "step": ("step", steps, {"long_name": "full-batch training steps (epochs) from the initialisation"}),
            "trial": job.trial_ids,
        },
        attrs={"interval": list(interval)},
    )
    streams = {"train_inputs": (), "train_spline": (), "train_noise": (), "train_init": ("width", "depth", "trial")}
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start, gradients))
    return ds
