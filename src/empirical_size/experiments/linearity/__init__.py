"""E5, linearity of training (the paper's Figures 4 and 5), and its
frequency sweep. :mod:`.job` trains (the workflow's training jobs) and
merges job files; :mod:`.analysis` computes the diff and pure fits (never
imported by training)."""

from .job import (
    FREQUENCY,
    FREQ_EPOCH,
    FREQ_PHASE,
    FREQ_VARIANCE,
    SWEEP,
    TRAINING_SETS,
    E5Network,
    FrequencyJob,
    Job,
    LinearityJob,
    inputs,
    merge,
    run,
    run_frequency,
    sine,
)

__all__ = [
    "FREQUENCY", "FREQ_EPOCH", "FREQ_PHASE", "FREQ_VARIANCE", "SWEEP", "TRAINING_SETS", "E5Network", "FrequencyJob",
    "Job", "LinearityJob", "inputs", "merge", "run", "run_frequency", "sine",
]  # fmt: skip
