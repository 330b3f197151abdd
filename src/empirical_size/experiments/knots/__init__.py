"""E6 (beyond the paper): exact numbers of linear pieces of one-input
networks. :mod:`.job` trains and counts (the workflow's training jobs);
:mod:`.analysis` merges and summarises (never imported by training)."""

from .job import Job, KnotsJob, KnotsTrainingJob, pieces_of, run, run_init, run_training

__all__ = ["Job", "KnotsJob", "KnotsTrainingJob", "pieces_of", "run", "run_init", "run_training"]
