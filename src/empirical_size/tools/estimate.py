"""How long a config's E2 and E3 would train on this device, from a measured
slice: each distinct job shape trains for a fraction of a second, and the
per-epoch times are summed over the config's whole grid.

    python -m empirical_size.tools.bench --estimate config/paper.yaml [--backend jax]

E2 jobs are timed as the pipeline runs them: with ``size.pack_width`` > 0,
the sizes of one depth in the same bucket of that width train together
(padded, with masks; :mod:`empirical_size.training.packing`); also timed unpacked
(one ``n`` per call, interpolated between a few measured ``n``) for
comparison. E3's mini-batch jobs are timed as
:func:`empirical_size.training.loop.train_and_record` runs them (shuffles drawn
on the device): one ``n`` each, and packed by steps an epoch
(``batching.pack``). A job's fixed cost (process start and imports, measured in this
process, plus the compile time of its first call) is added per job.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..engine.minibatch import BatchPlan
from ..experiments.batching.record import bucket as batch_bucket
from ..experiments.size.record import buckets as size_buckets
from ..science import networks


@dataclass
class Timing:
    compile_seconds: float
    epoch_seconds: float


def time_shape(depth, n_max, trials, section, seconds, plan: BatchPlan | None = None, packed_lengths=None) -> Timing:
    """Seconds per epoch (steady state) of ``trials`` trials at ``n_max`` samples,
    and the first call's compile time. ``packed_lengths`` (one ``n`` per
    trial) trains with a padding mask, as a packed job does."""
    from ..engine.trainer import make_trainer

    rng = np.random.default_rng(0)
    sizes = networks.layer_sizes(section["inputs"], section["width"], depth)
    trainer = make_trainer(sizes, trials, "float32")
    trainer.set_weights(networks.stack_trials([networks.glorot_uniform(rng, sizes) for _ in range(1)] * trials))
    x = trainer.cast(rng.standard_normal((trials, n_max, sizes[0])))
    y = trainer.cast(rng.standard_normal((trials, n_max, 1)))
    mask = None
    if packed_lengths is not None:
        mask = trainer.cast(np.arange(n_max)[None, :] < np.asarray(packed_lengths)[:, None])
    keys = np.arange(trials, dtype=np.int32)


    def run(epochs):
        if plan is None:
            trainer.train_full(x, y, epochs, mask)
        else:
            trainer.train_batches(x, y, plan, keys, 0, epochs, packed_lengths)
        trainer.evaluate(x, y, mask)  # waits for the device

    start = time.perf_counter()
    run(1)
    compile_seconds = time.perf_counter() - start
    epochs = 2
    while True:
        start = time.perf_counter()
        run(epochs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or epochs >= 2**20:
            return Timing(compile_seconds, elapsed / epochs)
        epochs = int(epochs * max(2.0, 1.2 * seconds / max(elapsed, 1e-6)))


def _interpolated(depth, ns, trials, section, seconds, sample, plan_of=None, log=print):
    """Per-epoch seconds at every ``n`` of ``ns``, measured at ``sample`` sizes
    and interpolated linearly in ``n`` (work per epoch is linear in ``n``)."""
    points = sorted({int(ns[round(i)]) for i in np.linspace(0, len(ns) - 1, min(sample, len(ns)))})
    measured = {}
    for n in points:
        measured[n] = time_shape(depth, n, trials, section, seconds, plan_of(n) if plan_of else None)
        log(f"    depth {depth}, n {n}, {trials} trials{'' if plan_of is None else ', ' + plan_of(n).mode}: "
            f"{measured[n].epoch_seconds * 1e3:.3f} ms/epoch, compile {measured[n].compile_seconds:.1f} s")
    xs = np.array(points, dtype=float)
    per_epoch = np.interp(ns, xs, [measured[n].epoch_seconds for n in points])
    if plan_of is not None:  # per step, then times the steps of each n
        steps = np.array([plan_of(n).steps_per_epoch for n in points], float)
        per_epoch = np.interp(ns, xs, [measured[n].epoch_seconds for n in points] / steps) * [plan_of(n).steps_per_epoch for n in ns]
    compile_s = float(np.mean([t.compile_seconds for t in measured.values()]))
    return per_epoch, compile_s


def _chunks(section: dict) -> tuple[int, int]:
    """``(trials a job, jobs a grid point)`` of a section's trial chunks."""
    chunk = min(section["trials_per_job"], section["trials"])
    return chunk, math.ceil(section["trials"] / chunk)


def _e2_packed(s: dict, seconds: float, startup: float, sample: int, log) -> tuple[float, int, float]:
    """E2's jobs as the workflow packs them: ``(seconds, jobs, longest)``."""
    chunk, per_point = _chunks(s)
    width = s.get("pack_width", 0)
    log(f"E2, packed by size.pack_width = {width}:")
    total, jobs, longest = 0.0, 0, 0.0
    for depth in s["depths"]:
        for bucket in size_buckets(s["sizes"], width):
            lengths = np.repeat(bucket, chunk)
            t = time_shape(depth, max(bucket), len(lengths), s, seconds, packed_lengths=lengths if len(bucket) > 1 else None)
            job = s["epochs"] * t.epoch_seconds + t.compile_seconds + startup
            total, jobs, longest = total + per_point * job, jobs + per_point, max(longest, job)
            log(
                f"    depth {depth}, n {bucket[0]}-{bucket[-1]} ({len(lengths)} trials): "
                f"{t.epoch_seconds * 1e3:.3f} ms/epoch, compile {t.compile_seconds:.1f} s"
            )
    return total, jobs, longest


def _e2_unpacked(s: dict, seconds: float, startup: float, sample: int, log) -> tuple[float, int, float]:
    """E2 with one n a job, interpolated between measured sizes."""
    chunk, per_point = _chunks(s)
    log("E2, one n per job (interpolated):")
    total, longest = 0.0, 0.0
    for depth in s["depths"]:
        per_epoch, compile_s = _interpolated(depth, sorted(s["sizes"]), chunk, s, seconds, sample, log=log)
        total += per_point * (s["epochs"] * per_epoch.sum() + len(per_epoch) * (compile_s + startup))
        longest = max(longest, s["epochs"] * per_epoch.max() + compile_s + startup)
    return total, per_point * len(s["depths"]) * len(s["sizes"]), longest


def _e3_minibatch(b: dict, seconds: float, startup: float, sample: int, log) -> tuple[float, int, float]:
    """E3's mini-batch points, one n a job (full-batch points are E2's jobs)."""
    chunk, per_point = _chunks(b)
    mini = sorted(n for n in b["sizes"] if n >= b["full_batch_below"])
    log("E3 mini-batch points (one n per job; full-batch points are E2's jobs):")
    total, jobs, longest = 0.0, 0, 0.0
    for variant in b["variants"] if mini else ():
        for depth in b["depths"]:
            plan_of = lambda n, v=variant: BatchPlan(n, b["batch_size"], v, b["shuffle"])  # noqa: E731
            per_epoch, compile_s = _interpolated(depth, mini, chunk, b, seconds, min(sample, 2), plan_of, log=log)
            total += per_point * (b["epochs"] * per_epoch.sum() + len(mini) * (compile_s + startup))
            longest = max(longest, b["epochs"] * per_epoch.max() + compile_s + startup)
            jobs += per_point * len(mini)
    return total, jobs, longest


def _e3_packed(b: dict, seconds: float, startup: float, sample: int, log) -> tuple[float, int, float]:
    """E3's mini-batch points packed by steps an epoch (batching.pack):
    measured buckets, the others interpolated per step."""
    chunk, per_point = _chunks(b)
    mini = sorted(n for n in b["sizes"] if n >= b["full_batch_below"])
    log("E3 mini-batch points packed by steps an epoch (batching.pack; measured buckets, the others interpolated):")
    total, jobs, longest = 0.0, 0, 0.0
    for variant in b["variants"] if mini else ():
        buckets: dict[tuple[int, int], list[int]] = {}
        for n in mini:
            buckets.setdefault(batch_bucket(n, b["batch_size"], variant), []).append(n)
        groups = list(buckets.values())
        measured = sorted({round(i) for i in np.linspace(0, len(groups) - 1, min(sample, 2, len(groups)))})
        for depth in b["depths"]:
            per_step, compiles = {}, []
            for group in (groups[i] for i in measured):
                plan = BatchPlan(max(group), b["batch_size"], variant, b["shuffle"])
                t = time_shape(depth, max(group), len(group) * chunk, b, seconds, plan, np.repeat(group, chunk))
                per_step[max(group)] = t.epoch_seconds / plan.steps_per_epoch
                compiles.append(t.compile_seconds)
                log(f"    {variant}, depth {depth}, n {group[0]}-{group[-1]} ({len(group) * chunk} trials): "
                    f"{t.epoch_seconds * 1e3:.3f} ms/epoch, compile {t.compile_seconds:.1f} s")
            xs = sorted(per_step)
            for group in groups:
                steps = BatchPlan(max(group), b["batch_size"], variant).steps_per_epoch
                job = b["epochs"] * steps * float(np.interp(max(group), xs, [per_step[x] for x in xs]))
                job += float(np.mean(compiles)) + startup
                total, jobs, longest = total + per_point * job, jobs + per_point, max(longest, job)
    return total, jobs, longest


PARTS = {"E2 packed": ("size", _e2_packed), "E2 unpacked": ("size", _e2_unpacked), "E3 mini-batch": ("batching", _e3_minibatch), "E3 packed": ("batching", _e3_packed)}


def estimate(config: dict, seconds: float = 0.5, startup: float = 0.0, sample: int = 4, parts=None, log=print) -> dict[str, float]:
    """Device-seconds of E2 and E3 under ``config`` (see module doc), with
    each part's job count (``PART jobs``) and longest job (``PART longest``,
    what bounds the wall time on many devices); ``parts`` limits it to some
    of "E2 packed", "E2 unpacked", "E3 mini-batch", "E3 packed"."""
    out = {}
    for part in (p for p in PARTS if p in (parts or PARTS)):  # in PARTS' order, each once
        section, measure = PARTS[part]
        out[part], out[f"{part} jobs"], out[f"{part} longest"] = measure(config[section], seconds, startup, sample, log)
    return out
