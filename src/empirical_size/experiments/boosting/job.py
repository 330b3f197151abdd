"""E8's training job: E5's network (one input on its grid of ``n`` points,
``depth`` hidden layers of ``width``, Glorot uniform, the paper's Adadelta)
fitted to targets ``t`` of three families, each a random draw per trial:

- ``noise``: Gaussian noise ``N`` on the inputs (the paper's case);
- ``high``: a high-frequency function ``h``, a random linear spline with
  ``high_knots`` knots, without noise;
- ``high+noise``: ``h + N`` (the same ``h`` and ``N``), whose fit is judged
  against ``h`` on a fine grid of inputs it was not trained on.

Boosting trains on ``t + a s L`` and subtracts ``a s L`` again: ``L`` a
known low-frequency function scaled to mean 0 and standard deviation 1 on
the inputs (``spline``: a random linear spline with ``low_knots`` knots,
the paper's X, one draw per job; ``line``; ``sine``: one period across the
domain), ``s`` the target's standard deviation on the inputs and ``a`` an
amplitude (0: plain training). The paper's own "diff" subtracts instead the
mean output of networks trained on ``a s L`` alone. Every network of a trial
starts from the trial's initial weights, and every family of a trial uses
its ``h`` and ``N`` (paired trials), in every job: one job per network width
and amplitude, each holding every trial (the diff's mean is over them).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr

from ...science import seeding, targets
from ..common import glorot_trials, per_trial
from ..curves import train_functions
from ..linearity.job import E5Network, inputs

FAMILIES = ("noise", "high", "high+noise")
LOWS = ("spline", "line", "sine")


@dataclass(frozen=True, kw_only=True)
class BoostingJob(E5Network):
    """E5's network and inputs (:class:`E5Network`), E8's targets and known functions."""

    trials: int
    namespace: str = "boosting"
    families: tuple
    lows: tuple
    amplitude: float = 1.0
    noise_scale: float
    high_knots: int
    low_knots: int
    checkpoints: tuple
    grid_points: int
    diff: bool
    keep_outputs: bool = False  # the boosted fits on the inputs too (tests)

    def __post_init__(self):
        unknown = sorted(set(self.families) - set(FAMILIES)) + sorted(set(self.lows) - set(LOWS))
        if unknown:
            raise ValueError(f"unknown boosting families or low functions {unknown}; known: {FAMILIES}, {LOWS}")

    @property
    def marks(self) -> list[int]:
        """Epoch 0 (the initial networks) and the checkpoints."""
        return sorted({0, *map(int, self.checkpoints)})

    def inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Training inputs ``(n,)`` and the fine grid ``(grid_points,)``."""
        return inputs(self)[:, 0], np.linspace(*self.domain, self.grid_points)

    def functions(self, x: np.ndarray, grid: np.ndarray) -> dict:
        """Per trial ``h`` and ``N`` on the inputs (``(T, n)``), ``h`` on the
        grid (``(T, G)``), and each known function ``L`` on inputs and grid,
        standardised on the inputs."""
        lo, hi = map(float, self.domain)
        knots = per_trial(self.seed, self.namespace, "high", (), self.trial_ids, lambda rng: targets.random_spline(rng, self.high_knots, self.domain, 1.0))
        noise = per_trial(self.seed, self.namespace, "noise", (), self.trial_ids, lambda rng: rng.normal(0.0, self.noise_scale, self.n))
        kx, ky = targets.random_spline(seeding.generator(self.seed, self.namespace, "low"), self.low_knots, self.domain, 1.0)
        raw = {
            "spline": lambda v: targets.spline(v, kx, ky),
            "line": lambda v: np.asarray(v, float),
            "sine": lambda v: np.sin(2 * np.pi * (np.asarray(v, float) - lo) / (hi - lo)),
        }
        lows = {}
        for name in self.lows:
            on_x = raw[name](x)
            mean, std = on_x.mean(), on_x.std()
            lows[name] = ((on_x - mean) / std, (raw[name](grid) - mean) / std)
        return {
            "h": np.stack([targets.spline(x, *k) for k in knots]),
            "h_grid": np.stack([targets.spline(grid, *k) for k in knots]),
            "noise": np.stack(noise),
            "lows": lows,
        }

    def family_targets(self, f: dict) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """Each family's ``t`` on the inputs ``(T, n)`` and the function its
        fit is judged against on the grid (None for noise: its training error)."""
        out = {"noise": (f["noise"], None), "high": (f["h"], f["h_grid"]), "high+noise": (f["h"] + f["noise"], f["h_grid"])}
        return {name: out[name] for name in self.families}


def _training_sets(job: BoostingJob, x: np.ndarray, grid: np.ndarray) -> dict:
    """What the networks train on and are judged against: each family's
    target t ``(F, T, n)``, its scale s ``(F, T)``, the known functions
    a s L on the inputs and the grid ``(F, L, T, n|G)``, the function each
    fit is judged against on the grid, and the stacked targets ``ys``: the
    boosted sets t + a s L, then (for the paper's diff) a s L alone."""
    f = job.functions(x, grid)
    fams = job.family_targets(f)
    a = float(job.amplitude)
    scale = np.stack([fams[name][0].std(axis=1) for name in job.families])  # s: (F, T)
    lows_x = np.stack([f["lows"][name][0] for name in job.lows])  # (L, n)
    lows_g = np.stack([f["lows"][name][1] for name in job.lows])  # (L, G)
    known_x = a * scale[:, None, :, None] * lows_x[None, :, None, :]
    known_g = a * scale[:, None, :, None] * lows_g[None, :, None, :]
    t = np.stack([fams[name][0] for name in job.families])  # (F, T, n)
    sets = [t[:, None] + known_x] + ([known_x] if job.diff else [])
    judge = np.stack([fams[name][1] if fams[name][1] is not None else np.full((job.trials, job.grid_points), np.nan) for name in job.families])
    ys = np.concatenate([s.reshape(-1, job.n) for s in sets])[..., None]
    return {"t": t, "scale": scale, "lows_x": lows_x, "known_x": known_x, "known_g": known_g, "judge": judge, "sets": len(sets), "ys": ys}


def _error_variables(job: BoostingJob, d: dict, on_x: np.ndarray, on_g: np.ndarray, x: np.ndarray) -> dict:
    """The data set's variables: each boosted fit's errors (and the paper's diff), the targets, what was kept."""

    def errors(fit_x, fit_g):
        """Training error of a fit against t, and its error against the family's function on the grid."""
        return np.mean((fit_x - d["t"][:, None, :, None, :]) ** 2, axis=-1), np.mean((fit_g - d["judge"][:, None, :, None, :]) ** 2, axis=-1)

    dims = ("family", "low", "trial", "epoch")
    fit_x, fit_g = on_x[0] - d["known_x"][..., None, :], on_g[0] - d["known_g"][..., None, :]
    train, function = errors(fit_x, fit_g)
    data = {
        "train_error": (dims, train, {"long_name": "boosted fit's training MSE against t", "description": "fit = f - a s L, f trained on t + a s L; a = 0: plain training"}),
        "function_error": (dims, function, {"long_name": "boosted fit's MSE against h on the grid", "description": "NaN for the noise family (no function to learn)"}),
        "target": (("family", "trial", "sample"), d["t"], {"long_name": "t on the training inputs"}),
        "target_std": (("family", "trial"), d["scale"], {"long_name": "s: t's standard deviation on the inputs"}),
        "low_function": (("low", "sample"), d["lows_x"], {"long_name": "L on the inputs, standardised"}),
        "data_x": (("sample",), x, {"long_name": "training inputs"}),
    }
    if job.diff:
        alone_x, alone_g = on_x[1].mean(axis=2, keepdims=True), on_g[1].mean(axis=2, keepdims=True)  # mean over trials
        train_d, function_d = errors(on_x[0] - alone_x, on_g[0] - alone_g)
        data["train_error_diff"] = (dims, train_d, {"long_name": "the paper's diff: training MSE against t", "description": "fit = f - mean over trials of networks trained on a s L alone"})
        data["function_error_diff"] = (dims, function_d, {"long_name": "the paper's diff: MSE against h on the grid"})
    if job.keep_outputs:
        data["fit"] = ((*dims, "sample"), fit_x, {"long_name": "boosted fit f - a s L on the inputs"})
        data["output"] = ((*dims, "sample"), on_x[0], {"long_name": "network output f on the inputs"})
    return data


def run(job: BoostingJob, progress_every: float = 10.0, checkpoint=None) -> xr.Dataset:
    from ...engine.trainer import AdadeltaSettings, make_trainer
    from ...training.loop import divergence_variables
    from ...training.storage import provenance

    start = time.perf_counter()
    x, grid = job.inputs()
    d = _training_sets(job, x, grid)
    networks_count = d["ys"].shape[0]
    one = glorot_trials(job.seed, job.namespace, (), job.trial_ids, job.sizes)
    copies = networks_count // job.trials  # the trial axis is last: every network of trial t starts from its weights
    weights = [(np.tile(k, (copies, 1, 1)), np.tile(b, (copies, 1))) for k, b in one]
    xs = np.broadcast_to(x[None, :, None], (networks_count, job.n, 1))
    trainer = make_trainer(job.sizes, networks_count, job.dtype, AdadeltaSettings(**job.optimizer))
    rec = train_functions(trainer, xs, d["ys"], weights, grid, job.marks, None, None, progress_every, checkpoint)
    shape, R = (len(job.families), len(job.lows), job.trials), len(rec["epoch"])
    on_x = rec["on_data"].reshape(d["sets"], *shape, R, job.n)
    on_g = rec["on_grid"].reshape(d["sets"], *shape, R, job.grid_points)
    diverged = divergence_variables(
        {"mse": rec["mse"].reshape(d["sets"], *shape, R)[0].reshape(-1, R)}, rec["epoch"], ("family", "low", "trial"),
        names=("mse",), reshape=lambda a: a.reshape(shape),
    )  # fmt: skip
    ds = xr.Dataset(
        {**_error_variables(job, d, on_x, on_g, x), **diverged},
        coords={
            "family": ("family", list(job.families)),
            "low": ("low", list(job.lows), {"long_name": "known low-frequency function L"}),
            "amplitude": ((), float(job.amplitude), {"long_name": "a, in units of t's standard deviation"}),
            "width": ((), job.width, {"long_name": "hidden units per layer"}),
            "trial": ("trial", job.trial_ids),
            "epoch": ("epoch", rec["epoch"]),
        },
    )
    streams = {"inputs": (), "init": ("trial",), "high": ("trial",), "noise": ("trial",), "low": ()}
    ds.attrs.update(provenance(asdict(job), seeding.describe(job.seed, job.namespace, streams), time.perf_counter() - start, trainer.gradient_path))
    return ds


Job = BoostingJob  # the name every experiment's job module gives its job (empirical_size.training.job)
