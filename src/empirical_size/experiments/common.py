"""What every experiment's job shares: spec parsing and per-trial streams."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field

import numpy as np

from ..paper import adadelta
from ..plan import schema
from ..science import networks, seeding


class JobSpec:
    """Mixin for frozen dataclasses that describe one job."""

    # Settings in every spec that the process applies before training (see
    # ``empirical_size.engine.backend.select``), not fields of a job.
    PROCESS_KEYS = ("matmul_precision",)

    @classmethod
    def section(cls) -> str:
        """The experiment (config section) whose package defines the job
        (``experiments.<name>.job``): E3's jobs are E2's ``SizeJob`` and
        take E2's section's defaults."""
        parts = cls.__module__.split(".")
        return parts[-2] if len(parts) > 1 else ""

    @classmethod
    def from_dict(cls, spec: dict):
        """The job of ``spec``; a field it leaves out takes the schema's
        default (:mod:`empirical_size.plan.schema`, the one place defaults
        live: job classes name none for a key the schema has)."""
        spec = {k: v for k, v in spec.items() if k not in cls.PROCESS_KEYS}
        fields = cls.__dataclass_fields__
        unknown = set(spec) - set(fields)
        if unknown:
            raise ValueError(f"unknown job spec keys {sorted(unknown)}; known: {sorted(fields)}")
        needed = [k for k, f in fields.items() if f.init and k not in spec and f.default is MISSING and f.default_factory is MISSING]
        if not needed:  # a record's spec: complete, the schema not read
            return cls(**spec)
        schema_defaults = schema.defaults(cls.section())
        missing = [k for k in needed if k not in schema_defaults]
        if missing:
            raise ValueError(f"job spec of {cls.__name__} lacks {missing}, which have no default in config section {cls.section()!r}")
        return cls(**spec, **{k: schema_defaults[k] for k in needed})

    @property
    def trial_ids(self) -> np.ndarray:
        return np.arange(self.first_trial, self.first_trial + self.trials)


@dataclass(frozen=True, kw_only=True)
class TrialsSpec(JobSpec):
    """The fields every training job has: its trials (``first_trial`` on),
    the root seed and the job's namespace of streams, its precision and
    Adadelta's settings. Keyword-only: a job declares its own fields in
    any order, and its namespace (and any other default) over these."""

    trials: int
    first_trial: int = 0
    seed: int  # seed and dtype: the schema's top level
    namespace: str
    dtype: str
    optimizer: dict = field(default_factory=adadelta)


def per_trial(seed: int, namespace: str, purpose: str, key: Sequence[int], trial_ids, make: Callable):
    """``make(rng)`` for each trial, each from its own stream ``(*key, trial)``."""
    return [make(seeding.generator(seed, namespace, purpose, *key, int(t))) for t in trial_ids]


def noise_sets(seed, namespace, key, trial_ids, n, inputs, distribution="normal"):
    """Stacked noise data sets, ``x (T, n, inputs)`` and ``y (T, n, 1)``."""
    pairs = per_trial(seed, namespace, "data", key, trial_ids, lambda rng: networks.noise_data(rng, n, inputs, distribution))
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def glorot_trials(seed, namespace, key, trial_ids, sizes, bias_scale: float = 0.0) -> networks.Weights:
    return networks.stack_trials(
        per_trial(seed, namespace, "init", key, trial_ids, lambda rng: networks.glorot_uniform(rng, sizes, bias_scale))
    )
