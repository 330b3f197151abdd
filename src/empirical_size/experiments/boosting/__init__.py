"""E8, "artificial boosting" (beyond the paper): does adding a known
low-frequency function to a target, training on the sum and subtracting the
known function again improve the fit? The paper's Section 4 asks it as an
open question; :mod:`.job` trains, :mod:`.analysis` answers (training jobs
never import it)."""

from .job import BoostingJob as Job
from .job import run

__all__ = ["Job", "run"]
