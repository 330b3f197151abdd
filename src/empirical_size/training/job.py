"""One training job, from its spec to its file: the backend selected, the
experiment's job trained (resuming from a checkpoint), the file written
atomically. The CLI's ``train`` and the workflow's training rules call this.

An experiment's job module is ``empirical_size.experiments.<name>.job``, with a
``Job`` (``Job.from_dict(spec)``) and ``run(job, progress_every, ...)``.
"""

from __future__ import annotations

import importlib
import inspect
import logging

ROOT = __name__.split(".")[0]  # the package (empirical_size)

log = logging.getLogger("empirical_size")


def train(
    experiment: str, spec: dict, out: str, backend_name: str = "tensorflow", threads: int | None = None,
    progress_every: float = 10.0, checkpoint: str | None = None, checkpoint_every: int = 1,
    checkpoint_seconds: float | None = None,
) -> None:  # fmt: skip
    from ..engine import backend
    from .storage import write_atomic

    backend.select(backend_name, spec.get("dtype", "float32"), threads, spec.get("matmul_precision", "float32"))
    module = importlib.import_module(f"{ROOT}.experiments.{experiment}.job")
    job = module.Job.from_dict(spec)
    kwargs = {}
    if checkpoint:
        from .checkpoint import Checkpoint

        if "checkpoint" not in inspect.signature(module.run).parameters:
            raise ValueError(f"--checkpoint is not supported by {experiment} jobs")
        kwargs["checkpoint"] = Checkpoint(checkpoint, spec, checkpoint_every, checkpoint_seconds)
    ds = module.run(job, progress_every=progress_every, **kwargs)
    write_atomic(ds, out)
    if checkpoint:
        kwargs["checkpoint"].remove()
    log.info("wrote %s (%.1f s)", out, ds.attrs["wall_seconds"])
