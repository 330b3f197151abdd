"""E3: E2's networks and seeds trained in mini-batches (the paper's Figure
2). A job is E2's job with a batch size, mode and variant in its spec
(:mod:`empirical_size.experiments.size.job` trains both); its mini-batch
schedules are :mod:`empirical_size.engine.minibatch`'s."""

from ..size.job import Job, run

__all__ = ["Job", "run"]
