"""Checkpoints of a training job, so that a killed job resumes where it was.

A checkpoint holds the trainer's state (weights, optimizer variables), the
records so far and the epochs done. It is written after records (every
``every`` of them) and, where a job's records are far apart (E4's 8,000
epochs at the paper's network: over an hour on a CPU), also between them
once ``seconds`` have passed since the last (``EMPIRICAL_SIZE_CHECKPOINT_SECONDS``,
default 600), so that a kill costs at most that much work (shuffles are counter-based: epoch ``e``'s
order needs no saved generator), with the job's spec and the format of
training: one written for another spec, or by a version of the engine that
trains differently, is ignored. It is written to a temporary file and
renamed, so a kill while writing leaves the previous one.

For tests of kill and resume, ``EMPIRICAL_SIZE_STOP_AFTER_CHECKPOINT=1``
makes a job stop itself (SIGSTOP) once its first checkpoint is on disk, so
that a test kills it mid-way on any CPU, however fast, without a job long
enough to outlast a polling loop; a job that resumed from a checkpoint does
not stop (a resubmitted cluster job finishes).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("empirical_size")


# Raise when the same spec would train differently, so that a checkpoint left
# by a killed job of an older version is not resumed. 2: shuffles drawn on
# the device, E2 sizes packed. 3: steps by the CPU kernel. 4: the kernel's
# tiles fit the instruction set it is built for (other sums' order).
TRAINING_FORMAT = 5  # 5: the CPU kernel's jobs evaluate in numpy, not XLA


STOP_AFTER_CHECKPOINT = "EMPIRICAL_SIZE_STOP_AFTER_CHECKPOINT"
CHECKPOINT_SECONDS = "EMPIRICAL_SIZE_CHECKPOINT_SECONDS"
DEFAULT_SECONDS = 600.0  # between records: an E4 checkpoint (169 MB at 8 trials) takes a second or two to write


class Checkpoint:
    _stopped = False  # this process stopped itself once (STOP_AFTER_CHECKPOINT)
    resumed = False  # this job went on from a checkpoint of an earlier run

    def __init__(self, path: str | os.PathLike, spec: dict, every: int = 1, seconds: float | None = None):
        self.path = Path(path)
        self.key = json.dumps({"spec": spec, "training_format": TRAINING_FORMAT}, sort_keys=True)
        self.every = max(1, int(every))
        self.seconds = float(os.environ.get(CHECKPOINT_SECONDS, DEFAULT_SECONDS) if seconds is None else seconds)
        self._saved = time.monotonic()  # the job's start counts as a save: the first waits its full interval

    def due(self) -> bool:
        """Whether ``seconds`` have passed since the last save (or the start)."""
        return time.monotonic() - self._saved >= self.seconds

    def save(self, done: int, state: list[np.ndarray], records: dict[str, list[np.ndarray]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"state_{i}": a for i, a in enumerate(state)}
        for name, values in records.items():
            arrays[f"record_{name}"] = np.stack(values)
        meta = {"key": self.key, "done": int(done), "records": sorted(records)}
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
        os.close(fd)
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._saved = time.monotonic()
        stop = os.environ.get(STOP_AFTER_CHECKPOINT) == "1" and hasattr(signal, "SIGSTOP")
        if stop and not Checkpoint._stopped and not self.resumed:
            Checkpoint._stopped = True
            log.warning("stopping this process after its first checkpoint, as %s=1 asks (a test's hook)", STOP_AFTER_CHECKPOINT)
            os.kill(os.getpid(), signal.SIGSTOP)  # a test's kill finds the job here, its checkpoint complete

    def load(self):
        """``(done, state, records)`` or None when there is no usable checkpoint."""
        if not self.path.exists():
            return None
        try:
            with np.load(self.path) as data:
                meta = json.loads(str(data["meta"]))
                if meta["key"] != self.key:
                    log.info("ignoring checkpoint %s: written for another job spec", self.path)
                    return None
                state = [data[f"state_{i}"] for i in range(sum(k.startswith("state_") for k in data.files))]
                records = {name: list(data[f"record_{name}"]) for name in meta["records"]}
        except Exception as err:  # noqa: BLE001 - a damaged checkpoint only costs a restart
            log.warning("ignoring unreadable checkpoint %s: %s", self.path, err)
            return None
        self.resumed = True
        return meta["done"], state, records

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
