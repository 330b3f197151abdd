"""Which samples each gradient step sees: full batch or mini-batches.

An epoch is one pass over the ``n`` training samples in batches of
``batch_size`` (Keras' meaning). The modes differ in the last, smaller batch:

``keep``      it takes its own gradient step, as Keras does (the paper);
``drop``      it is dropped, so every step sees ``batch_size`` samples;
``resample``  every batch is drawn anew from the whole data set (without
              replacement inside a batch), ``ceil(n / batch_size)`` steps an
              epoch, so every step sees ``batch_size`` samples.

Batches are padded to ``batch_size`` with a 0/1 mask, so that one compiled
step serves every batch; a masked sample adds exactly zero to the loss.

Shuffles are counter-based, so that the device draws them inside the
compiled loop (drawing them on the host made E3 host-bound on a GPU): each
trial has one 32-bit key from its own seed stream; the order of epoch ``e``
(or, for ``resample``, of step ``c = (e * steps + s) ^ 2**31``) sorts the samples by
``mix32(mix32(key ^ mix32(c)) ^ i)``, a bijection of ``i`` (Wellons'
"lowbias32" integer hash), with the low bits replaced by ``i`` so that keys
are distinct and every backend sorts them alike. :meth:`BatchPlan.indices`
is the reference (the CPU kernel trains on it); the Keras trainers compute
the same batches with Keras ops (:mod:`empirical_size.engine.trial_ops`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MODES = ("keep", "drop", "resample")
HASH_MULTIPLIERS = (0x7FEB352D, 0x846CA68B)
RESAMPLE_SALT = 0x80000000  # resample's step counters never meet an epoch's


def mix32(x) -> np.ndarray:
    """Wellons' lowbias32 hash of unsigned 32-bit integers (wrapping)."""
    x = np.asarray(x).astype(np.uint32)
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(HASH_MULTIPLIERS[0])
        x = x ^ (x >> np.uint32(15))
        x = x * np.uint32(HASH_MULTIPLIERS[1])
        return x ^ (x >> np.uint32(16))


def index_bits(n: int) -> int:
    """Low bits of a sort key that hold the sample index."""
    return max(1, (int(n) - 1).bit_length())


def sort_keys(trial_keys: np.ndarray, counter: int, n: int) -> np.ndarray:
    """``(trials, n)`` distinct int32 keys whose argsort is the order of
    draw ``counter`` (an epoch, or a step for ``resample``)."""
    i = np.arange(n, dtype=np.uint32)
    inner = mix32(np.asarray(trial_keys).astype(np.uint32) ^ mix32(np.uint32(counter)))
    h = mix32(inner[:, None] ^ i[None, :])
    high = np.uint32((0xFFFFFFFF << index_bits(n)) & 0xFFFFFFFF)
    return ((h & high) | i).view(np.int32)


def trial_keys(rngs: list[np.random.Generator]) -> np.ndarray:
    """One shuffle key per trial, each from its own stream (as int32 bits)."""
    return np.array([rng.integers(0, 2**32, dtype=np.uint32) for rng in rngs], dtype=np.uint32).view(np.int32)


@dataclass(frozen=True)
class BatchPlan:
    n: int
    batch_size: int | None = None  # None: full batch
    mode: str = "keep"
    shuffle: bool = True

    def __post_init__(self):
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {self.batch_size}")
        if self.mode not in MODES:
            raise ValueError(f"batching mode must be one of {MODES}, got {self.mode!r}")
        if self.mode == "drop" and not self.full_batch and self.n < self.batch_size:
            raise ValueError(f"mode 'drop' with n={self.n} < batch_size={self.batch_size} leaves no step")

    @property
    def full_batch(self) -> bool:
        return self.batch_size is None or self.batch_size >= self.n

    @property
    def width(self) -> int:
        """Samples per padded batch."""
        return self.n if self.full_batch else self.batch_size

    @property
    def batch_lengths(self) -> list[int]:
        """Real samples in each step of an epoch."""
        if self.full_batch:
            return [self.n]
        b = self.batch_size
        full, rest = divmod(self.n, b)
        if self.mode == "keep":
            return [b] * full + ([rest] if rest else [])
        if self.mode == "drop":
            return [b] * full
        return [b] * math.ceil(self.n / b)

    @property
    def steps_per_epoch(self) -> int:
        return len(self.batch_lengths)

    def mask(self, dtype="float32") -> np.ndarray:
        """``(steps, width)``: 1 where a batch position holds a real sample."""
        lengths = np.asarray(self.batch_lengths)
        return (np.arange(self.width)[None, :] < lengths[:, None]).astype(dtype)

    def indices(self, keys: np.ndarray, first_epoch: int, epochs: int) -> np.ndarray:
        """``(epochs, steps, trials, width)`` sample indices of epochs
        ``first_epoch ..`` for trials with shuffle ``keys`` (:func:`trial_keys`).

        The reference of the batches the engine draws on its device. A
        trial's batches depend on its own key only, not on its chunk.
        """
        keys = np.asarray(keys)
        steps, width, trials = self.steps_per_epoch, self.width, len(keys)
        out = np.zeros((epochs, steps, trials, width), dtype=np.int32)
        used = sum(self.batch_lengths)
        flat_mask = self.mask(bool).reshape(-1)
        for e in range(epochs):
            epoch = first_epoch + e
            if self.mode == "resample":
                for s in range(steps):
                    out[e, s] = np.argsort(sort_keys(keys, (epoch * steps + s) ^ RESAMPLE_SALT, self.n), axis=1)[:, :width]
                continue
            if self.shuffle:
                order = np.argsort(sort_keys(keys, epoch, self.n), axis=1)
            else:
                order = np.tile(np.arange(self.n), (trials, 1))
            padded = np.zeros((trials, steps * width), dtype=np.int32)
            padded[:, flat_mask] = order[:, :used]
            out[e] = padded.reshape(trials, steps, width).transpose(1, 0, 2)
        return out


def trial_batches(plan: BatchPlan, keys, first_epoch: int, epochs: int, lengths=None) -> np.ndarray:
    """``(trials, epochs x steps, width)`` sample indices of ``plan``'s
    epochs from ``first_epoch``; packed trials (``lengths``) each draw as
    their own size alone (:func:`packed_batch_masks` checks that every
    size takes ``plan``'s steps and width), padding positions masked. The
    CPU kernel's batches, drawn on the host."""
    if lengths is None:
        index = plan.indices(keys, first_epoch, epochs)
    else:
        index = np.zeros((epochs, plan.steps_per_epoch, len(keys), plan.width), np.int32)
        for n in np.unique(lengths):
            group = np.flatnonzero(lengths == n)
            own = BatchPlan(int(n), plan.batch_size, plan.mode, plan.shuffle)
            index[:, :, group] = own.indices(keys[group], first_epoch, epochs)
    return index.transpose(2, 0, 1, 3).reshape(len(keys), -1, plan.width)


def packed_batch_masks(plan: BatchPlan, lengths) -> np.ndarray:
    """``(steps, trials, width)`` batch masks of packed trials of sizes
    ``lengths`` batched as ``plan`` (whose ``n`` is the largest): every size
    must take ``plan``'s steps an epoch, each its own last batch."""
    by_n = {}
    for n in dict.fromkeys(int(v) for v in lengths):
        own = BatchPlan(n, plan.batch_size, plan.mode, plan.shuffle)
        if own.steps_per_epoch != plan.steps_per_epoch or own.width != plan.width:
            raise ValueError(
                f"packed mini-batch sizes must take the same steps an epoch: n={n} takes {own.steps_per_epoch}"
                f" of {own.width}, n={plan.n} {plan.steps_per_epoch} of {plan.width}"
            )
        by_n[n] = own.mask()
    return np.stack([by_n[int(n)] for n in lengths], axis=1)
