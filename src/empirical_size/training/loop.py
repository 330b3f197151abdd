"""Training a chunk of trials for many epochs, recording metrics on the way."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np

from ..engine.minibatch import BatchPlan, trial_keys
from ..engine.trainer import Trainer
from .progress import Progress

log = logging.getLogger("empirical_size")

# Aim for compiled calls of about this many seconds: long enough that the
# Python round trip is negligible, short enough for timely progress lines.
TARGET_CALL_SECONDS = 3.0


def record_epochs(epochs: int, record_every: int) -> np.ndarray:
    """The epochs after which metrics are recorded: record_every, 2*record_every, ..."""
    if record_every is None or epochs is None or record_every < 1 or epochs < record_every:
        raise ValueError(f"need 1 <= record_every <= epochs, got record_every={record_every}, epochs={epochs}")
    return np.arange(record_every, epochs + 1, record_every)


def train_and_record(
    trainer: Trainer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int | None = None,
    record_every: int | None = None,
    marks: Sequence[int] | None = None,
    measure: Callable[[Trainer, object, object], dict[str, np.ndarray]] | None = None,
    plan: BatchPlan | None = None,
    shuffle_rngs: list[np.random.Generator] | None = None,
    progress: Progress | None = None,
    checkpoint=None,
    mask: np.ndarray | None = None,
    reset_at_records: bool = False,
) -> dict[str, np.ndarray]:
    """Train and record measures of every trial after chosen epochs.

    The epochs are ``marks`` (increasing), or every ``record_every`` up to
    ``epochs``. ``measure(trainer, x, y)`` returns per-trial arrays (leading
    axis trials); by default each trial's training MSE and size on the full
    training data. Returns ``epoch (R,)`` and each measure stacked as
    ``(T, R, ...)``. With a :class:`~empirical_size.training.checkpoint.Checkpoint` the
    state is saved every ``checkpoint.every`` records and between records
    once ``checkpoint.seconds`` have passed, and a saved state of the same
    job is resumed from. A ``mask (T, n)`` marks each trial's real
    samples of packed, zero-padded data; in mini-batches each trial then
    draws its batches from its own samples (``plan`` is the largest size's).
    With ``reset_at_records`` the optimizer starts afresh after every record
    (:meth:`Trainer.reset_optimizer`: a script that builds a new optimizer
    for each ``fit`` call between records).
    """
    plan = plan or BatchPlan(n=x.shape[1])
    if not plan.full_batch and shuffle_rngs is None:
        raise ValueError("mini-batch training needs one shuffle generator per trial")
    marks = _checked_marks(record_epochs(epochs, record_every) if marks is None else marks)
    if mask is not None and measure is not None:
        raise ValueError("a padding mask works with the default measures only")
    xt, yt = trainer.cast(x), trainer.cast(y)
    maskt = None if mask is None else trainer.cast(mask)
    measure = measure or (lambda trainer, xt, yt: mse_and_size(trainer, xt, yt, maskt))
    progress = progress or Progress(int(marks[-1]))
    lengths = None if mask is None or plan.full_batch else np.asarray(mask).sum(axis=1).round().astype(int)
    # Shuffles are counter-based (drawn on the device from one key per trial
    # and the epoch), so a resumed job needs no generator state.
    keys = None if plan.full_batch else trial_keys(shuffle_rngs)
    steps = _Steps(trainer, xt, yt, maskt, plan, keys, lengths, cap=int(np.diff(marks, prepend=0).max()))
    records, recorded = _resumed(checkpoint, trainer, progress, steps)  # recorded: the last mark a resumed checkpoint holds

    def between() -> None:  # inside a record interval, once the checkpoint's seconds have passed
        if checkpoint.due():
            checkpoint.save(steps.done, trainer.get_state(), records)

    for r, mark in enumerate(marks):
        if mark <= recorded:  # recorded before a resume (a mark 0 is the initial networks)
            continue
        steps.advance(mark, progress, between if checkpoint is not None else None)
        for name, value in measure(trainer, xt, yt).items():
            records.setdefault(name, []).append(np.asarray(value))
        if reset_at_records:  # before the checkpoint, which then holds the fresh optimizer
            trainer.reset_optimizer()
        if checkpoint is not None and ((r + 1) % checkpoint.every == 0) and mark < marks[-1]:
            checkpoint.save(steps.done, trainer.get_state(), records)
    progress.update(steps.done, force=True)
    return {"epoch": marks, **{name: np.stack(v, axis=1) for name, v in records.items()}}


def _checked_marks(marks) -> np.ndarray:
    marks = np.asarray(marks, dtype=int)
    if marks.size == 0 or marks[0] < 0 or np.any(np.diff(marks) <= 0):
        raise ValueError(f"record epochs must be non-negative and increasing, got {marks.tolist()}")
    return marks


def _resumed(checkpoint, trainer: Trainer, progress: Progress, steps: _Steps) -> tuple[dict, int]:
    """A saved state of the job, if any, put back: its records and the epoch it reached (-1: none)."""
    if checkpoint is None or (saved := checkpoint.load()) is None:
        return {}, -1
    done, state, records = saved
    trainer.set_state(state)
    steps.done = done
    progress.resume(done)
    progress.emit(f"resumed from {checkpoint.path} at epoch {done}")
    return records, done


class _Steps:
    """The trainer's epochs, taken in compiled calls: 1 epoch a call while
    compiling and timing, then a fixed power of two lasting about
    TARGET_CALL_SECONDS, never more than ``cap`` (one record interval)."""

    def __init__(self, trainer: Trainer, xt, yt, maskt, plan: BatchPlan, keys, lengths, cap: int):
        self.trainer, self.xt, self.yt, self.maskt = trainer, xt, yt, maskt
        self.plan, self.keys, self.lengths, self.cap = plan, keys, lengths, cap
        self.done, self.calls, self.block = 0, 0, 1

    def advance(self, mark: int, progress: Progress, between: Callable[[], None] | None = None) -> None:
        """Train until epoch ``mark``, calling ``between`` after each compiled
        call that stops short of it (a checkpoint there holds no record for
        ``mark``, so a resume from it still records ``mark``)."""
        while self.done < mark:
            todo = min(self.block, mark - self.done)
            start = time.perf_counter()
            if self.plan.full_batch:
                self.trainer.train_full(self.xt, self.yt, todo, self.maskt)
            else:
                self.trainer.train_batches(self.xt, self.yt, self.plan, self.keys, self.done, todo, self.lengths)
            seconds = time.perf_counter() - start
            self.done += todo
            self.calls += 1
            if self.calls == 2:  # the first call compiled; the second is a clean timing
                per_epoch = max(seconds / todo, 1e-9)
                self.block = int(min(self.cap, 2 ** max(0, int(np.floor(np.log2(TARGET_CALL_SECONDS / per_epoch))))))
            progress.update(self.done)
            if between is not None and self.done < mark:
                between()


def mse_and_size(trainer: Trainer, xt, yt, mask=None) -> dict[str, np.ndarray]:
    mse, size = trainer.evaluate(xt, yt, mask)
    return {"mse": mse, "size": size}


def divergence(records: dict[str, np.ndarray], epochs: np.ndarray, names=("mse", "size")) -> tuple[np.ndarray, np.ndarray]:
    """Per trial: whether any recorded measure became NaN or infinite, and the
    first recorded epoch where it did (-1 if never). A diverged trial does not
    disturb the others of its chunk: each trial's gradient is its own."""
    bad = np.zeros(records[names[0]].shape[:2], dtype=bool)
    for name in names:
        values = records[name].reshape(*records[name].shape[:2], -1)
        bad |= ~np.isfinite(values).all(axis=-1)
    diverged = bad.any(axis=1)
    first = np.where(diverged, np.asarray(epochs)[bad.argmax(axis=1)], -1)
    return diverged, first


def divergence_variables(records: dict[str, np.ndarray], epochs: np.ndarray, dims: tuple[str, ...], names=("mse", "size"), reshape=lambda a: a) -> dict:
    """``diverged`` and ``diverged_epoch`` as data variables over ``dims``
    (the trial axes), for a job's data set; logs the diverged trials."""
    diverged, first = divergence(records, epochs, tuple(n for n in names if n in records))
    if diverged.any():
        log.warning("%d of %d trials diverged (NaN or infinite loss): %s", diverged.sum(), diverged.size, np.flatnonzero(diverged).tolist())
    return {
        "diverged": (dims, reshape(diverged.astype(np.int8)), {"long_name": "trial diverged", "description": "1 if a recorded measure became NaN or infinite; figures average over the other trials"}),
        "diverged_epoch": (dims, reshape(first), {"long_name": "first recorded epoch with a NaN or infinite measure", "description": "-1 if the trial never diverged"}),
    }
