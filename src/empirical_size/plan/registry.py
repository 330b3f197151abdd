"""From a validated config to the training jobs, their specs and requests.

Pure functions of the config, used by the workflow's rules. The experiments
are their packages' records (:mod:`empirical_size.plan.record`), found here: a
package of :mod:`empirical_size.experiments` with a ``record`` module is an
experiment. A job's spec holds exactly the settings its numbers depend on, so
that changing one setting reruns only the jobs it touches.
"""

from __future__ import annotations

import importlib
import math

from ..engine import path_setting
from .record import ConfigError, Experiment, common_spec, experiment_modules, trial_chunks
from .record import merge_config as _merge_config
from .resources import mem_mb, runtime_minutes
from .work import job_work

__all__ = ["EXPERIMENTS", "FIGURES", "TABLES", "ConfigError", "check", "common_spec", "merge_config", "resources", "targets", "trial_chunks"]


def _records() -> dict[str, Experiment]:
    """Every experiment package's record, in the paper's order (E1 ... E8);
    a record that does not fit (its name, its label, a figure or table
    another has) stops here, naming its package."""
    found: dict[str, Experiment] = {}
    for name in experiment_modules("record"):
        package = name.split(".")[-2]
        record = importlib.import_module(name).RECORD
        where = f"experiments/{package}/record.py"
        if record.name != package:
            raise RuntimeError(f"{where} names its experiment {record.name!r}: use the package's name")
        if not record.paper.removeprefix("E").isdigit():
            raise RuntimeError(f"{where}: its label {record.paper!r} is not E<number>")
        for other in found.values():
            shared = (set(record.figures) & set(other.figures)) | (set(record.tables) & set(other.tables))
            if shared or record.paper == other.paper:
                raise RuntimeError(f"{where} shares {sorted(shared) or record.paper} with experiments/{other.name}/record.py")
        found[record.name] = record
    return dict(sorted(found.items(), key=lambda item: int(item[1].paper.removeprefix("E"))))


EXPERIMENTS = _records()
FIGURES = {figure: e for e in EXPERIMENTS.values() for figure in e.figures}  # `plot` name -> its record
TABLES = {table: e for e in EXPERIMENTS.values() for table in e.tables}  # `table` name -> its record (results/<table>.csv)
REPRODUCTION = "results/reproduction.csv"
REPRODUCTION_FIGURE = "results/reproduction.png"  # the table at a glance (a forest plot), drawn from it alone
REPORT_TEXT = "results/report.rst"  # the report's first page (workflow/rules/reproduction.smk)


def check(config: dict) -> None:
    """Checks across keys, each experiment's own; each error names the key."""
    for e in EXPERIMENTS.values():
        if e.check:
            e.check(config)


def checkpoint_path(job_path: str) -> str:
    """Where a training job keeps its checkpoint: beside, never as, its output."""
    return job_path.replace("results/jobs/", "results/checkpoints/", 1).removesuffix(".nc") + ".npz"


def merge_config(config: dict, name: str) -> dict:
    """What an experiment's merged data set records of the config it came
    from (its plot-only keys left out, so that changing them redraws figures only)."""
    return _merge_config(config, name, EXPERIMENTS[name].plot_only)


def targets() -> list[str]:
    """What a default run makes: every experiment's figures, tables and
    merged data set, the reproduction table and its figure, and the report's first page."""
    out = [f"results/{p}" for e in EXPERIMENTS.values() for p in e.products]
    return out + [REPRODUCTION, REPRODUCTION_FIGURE, REPORT_TEXT] + [e.data for e in EXPERIMENTS.values()]


def checkpoints(experiment: str, wildcards: dict) -> bool:
    """Whether the job at ``wildcards`` keeps a checkpoint (E7: E2's parts only)."""
    e = EXPERIMENTS[experiment]
    return EXPERIMENTS[e.kind(wildcards)].checkpoints if e.trained_by else e.checkpoints


def resources(experiment: str, config: dict, wildcards: dict, gpus: int = 0, attempt: int = 1) -> dict:
    """A training job's cluster requests, from its spec and its record's
    work; its memory for the path it will take
    (:func:`empirical_size.engine.path_setting.likely_keras`: Keras' with ``gpus`` asked
    for or a Keras path set, else the CPU kernel's). A job resubmitted
    after a failure (its ``attempt`` 2, 3, ...: killed at its time limit, out
    of memory, preempted) asks for ``cluster.runtime_growth`` and
    ``cluster.memory_growth`` times more at each attempt."""
    e = EXPERIMENTS[experiment]
    spec = e.spec(config, **wildcards)
    work = e.work or job_work
    keras = path_setting.likely_keras(path_setting.resolve(), gpus)
    c, again = config["cluster"], max(int(attempt), 1) - 1

    def grown(value, key):  # a first attempt needs no growth keys (a config built by hand)
        return int(math.ceil(value * c[key] ** again)) if again else value

    try:
        runtime = grown(runtime_minutes(spec, c, work), "runtime_growth")
        return {
            "runtime": min(runtime, c["max_runtime"]) if c.get("max_runtime") else runtime,
            "mem_mb": grown(mem_mb(spec, keras, work), "memory_growth"),
        }
    except KeyError as err:
        if e.work:
            raise
        raise ConfigError(
            f"{e.paper} {e.name}: its jobs' spec has no {err} for the generic work estimate (plan.work.job_work, a network's "
            "depth, width, n and trials): give its record a work function (spec -> (flops, bytes))"
        ) from None
