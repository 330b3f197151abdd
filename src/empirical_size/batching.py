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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MODES = ("keep", "drop", "resample")


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

    def indices(self, rngs: list[np.random.Generator], epochs: int) -> np.ndarray:
        """``(epochs, steps, trials, width)`` sample indices, one stream per trial.

        Each trial draws from its own generator only, so its batches do not
        depend on the other trials of its chunk.
        """
        steps, width = self.steps_per_epoch, self.width
        out = np.zeros((epochs, steps, len(rngs), width), dtype=np.int32)
        for t, rng in enumerate(rngs):
            if self.mode == "resample":
                rows = np.tile(np.arange(self.n, dtype=np.int32), (epochs * steps, 1))
                out[:, :, t, :] = rng.permuted(rows, axis=1)[:, :width].reshape(epochs, steps, width)
                continue
            order = np.tile(np.arange(self.n, dtype=np.int32), (epochs, 1))
            if self.shuffle:
                order = rng.permuted(order, axis=1)
            used = sum(self.batch_lengths)
            padded = np.zeros((epochs, steps * width), dtype=np.int32)
            flat_mask = self.mask(bool).reshape(-1)
            padded[:, flat_mask] = order[:, :used]
            out[:, :, t, :] = padded.reshape(epochs, steps, width)
        return out
