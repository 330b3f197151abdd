"""Per-trial random streams that do not depend on how trials are grouped.

A trial's numbers come from ``SeedSequence(root_seed, spawn_key=...)`` whose
key names the experiment, the purpose of the stream (initial weights, data,
shuffling) and the grid point and trial index. Nothing else enters, so a
trial is the same alone, in any chunk, in any job order and on any backend.
"""

from __future__ import annotations

import zlib

import numpy as np


def _word(text: str) -> int:
    # crc32 is stable across Python runs, unlike hash().
    return zlib.crc32(text.encode())


def seed_sequence(root_seed: int, experiment: str, purpose: str, *key: int) -> np.random.SeedSequence:
    """The seed sequence of one stream; ``key`` is grid point then trial."""
    if any(int(k) < 0 for k in key):
        raise ValueError(f"seed key entries must be non-negative, got {key}")
    return np.random.SeedSequence(int(root_seed), spawn_key=(_word(experiment), _word(purpose), *map(int, key)))


def generator(root_seed: int, experiment: str, purpose: str, *key: int) -> np.random.Generator:
    return np.random.default_rng(seed_sequence(root_seed, experiment, purpose, *key))


def describe(seed: int, experiment: str, streams: dict[str, tuple[str, ...]]) -> str:
    """How each stream's seed is built, for the provenance attributes."""
    parts = [
        f"{purpose}: SeedSequence({seed}, spawn_key=(crc32({experiment!r}), crc32({purpose!r}), {', '.join(keys)}))"
        for purpose, keys in streams.items()
    ]
    return "numpy " + "; ".join(parts)
