"""Progress lines for long training jobs: epochs done, elapsed, time left."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("empirical_size")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


class Progress:
    """Reports at most every ``every`` seconds (and at the end)."""

    def __init__(self, total: int, label: str = "epochs", every: float = 10.0, emit: Callable[[str], None] | None = None, clock=time.monotonic):
        self.total, self.label, self.every = int(total), label, float(every)
        self.emit = emit or log.info
        self.clock = clock
        self.start = clock()
        self.last = self.start
        self.reported = -1
        self.resumed_at = 0  # epochs done before this process started

    def resume(self, done: int) -> None:
        """Count the time left from the work this process does, not from a
        checkpoint's epochs it never trained."""
        self.resumed_at = int(done)

    def update(self, done: int, force: bool = False) -> None:
        now = self.clock()
        due = now - self.last >= self.every or (done >= self.total and self.reported < done)
        if not (due or (force and self.reported != done)):
            return
        self.last, self.reported = now, done
        elapsed = now - self.start
        trained = done - self.resumed_at
        eta = _clock(elapsed / trained * (self.total - done)) if trained > 0 else "?"
        self.emit(f"{done}/{self.total} {self.label} ({100 * done / max(self.total, 1):.0f}%), elapsed {_clock(elapsed)}, left ~{eta}")
