"""From a validated config to the training jobs, their specs and requests.

Pure functions of the config, used by the workflow's rules. The experiments
are their packages' records (:mod:`empirical_size.record`), found here: a
package of :mod:`empirical_size.experiments` with a ``record`` module is an
experiment. A job's spec holds exactly the settings its numbers depend on, so
that changing one setting reruns only the jobs it touches.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import pkgutil

from . import experiments, paths
from .networks import layer_sizes, parameter_count
from .record import ConfigError, Experiment, common_spec, trial_chunks
from .record import merge_config as _merge_config

__all__ = ["EXPERIMENTS", "FIGURES", "TABLES", "ConfigError", "check", "common_spec", "merge_config", "resources", "targets", "trial_chunks"]


def _records() -> dict[str, Experiment]:
    """Every experiment package's record, in the paper's order (E1 ... E8);
    a record that does not fit (its name, its label, a figure or table
    another has) stops here, naming its package."""
    found: dict[str, Experiment] = {}
    for info in pkgutil.iter_modules(experiments.__path__):
        name = f"{experiments.__name__}.{info.name}.record"
        if not (info.ispkg and importlib.util.find_spec(name)):
            continue
        record = importlib.import_module(name).RECORD
        where = f"experiments/{info.name}/record.py"
        if record.name != info.name:
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
    (:func:`empirical_size.paths.likely_keras`: Keras' with ``gpus`` asked
    for or a Keras path set, else the CPU kernel's). A job resubmitted
    after a failure (its ``attempt`` 2, 3, ...: killed at its time limit, out
    of memory, preempted) asks for ``cluster.runtime_growth`` and
    ``cluster.memory_growth`` times more at each attempt."""
    e = EXPERIMENTS[experiment]
    spec = e.spec(config, **wildcards)
    work = e.work or job_work
    keras = paths.likely_keras(paths.resolve(), gpus)
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
            f"{e.paper} {e.name}: its jobs' spec has no {err} for the generic work estimate (grid.job_work, a network's "
            "depth, width, n and trials): give its record a work function (spec -> (flops, bytes))"
        ) from None


# -- cluster resources -------------------------------------------------------
# A training process before its arrays, by the path it trains on, and how
# much its arrays grow in temporaries. The CPU kernel's: Python, numpy,
# xarray, netCDF4 and the kernel (95-100 MB measured on a small E2 job,
# Intel Xeon, AVX-512; E1, E2 and E5's larger jobs peak at 0.75-1.1x their
# arrays' estimate above it). Keras': TensorFlow 2.21 CPU too (760-830 MB
# measured on E1, E2 and E5's default jobs, AMD EPYC and Intel Xeon), with
# room for another machine's libraries and the compiler's temporaries; its
# arrays 1.7x: the graph's peak on the packed E2 job of tests/test_cluster.py
# varies from 2.37 to 3.03 GB between identical runs (Intel Xeon, AVX-512;
# the same before and after issue 28), above 1.4x's 2.90 GB at times.
# tests/test_cluster.py holds each path's requests within 2x of its peaks.
PROCESS_MB = {"kernel": 150, "keras": 1200}
ARRAY_FACTOR = {"kernel": 1.1, "keras": 1.7}


def _networks(spec: dict) -> tuple[int, int]:
    """``(networks, samples)``: how many networks a job trains at once and the
    samples each is evaluated on (the padded largest ``n`` of packed sizes;
    E4's and E5's training points and output grid; E5's three sets)."""
    trials = spec["trials"]
    if "ns" in spec:
        return trials * len(spec["ns"]), max(spec["ns"])
    if "checkpoints" in spec:  # E4, E5: outputs on the grid too
        sets = 3 if "knots" in spec else 1
        return trials * sets, spec["n"] + spec["grid_points"]
    return trials, spec["n"]  # E1, E2, E3; E5's frequency sweep (frequency_epochs epochs, its MSE only)


def job_work(spec: dict, networks: int | None = None, samples: int | None = None, weights_recorded: bool = True) -> tuple[float, float]:
    """``(flops, bytes)`` a training job needs, roughly: 6 flops per parameter
    per sample per epoch (forward and backward); and its largest arrays
    together: one forward pass of every network at once (a measure's layer
    outputs, 3 words per unit), the data (float64 and the device's copy), E1's
    fresh sample (its normal draws, inputs and cast: 16 bytes a value), the
    weights with Adadelta's accumulators and their copies, and the outputs and
    weights E4 and E5 record. ``networks`` and ``samples`` default to
    :func:`_networks`'s; a record's own ``work`` may set them (E8). Calibrated
    against jobs' measured peaks (tests/test_cluster.py)."""
    inputs, depth, width = spec.get("inputs", 1), spec["depth"], spec["width"]
    word = 8 if spec.get("dtype") == "float64" else 4
    if networks is None:
        networks, samples = _networks(spec)
    params = parameter_count(layer_sizes(inputs, width, depth))
    epochs = spec.get("epochs") or spec.get("frequency_epochs") or max(spec.get("checkpoints", [1]))
    steps_samples = samples
    if "steps" in spec:  # E1: a few steps, then a large fresh sample
        epochs, steps_samples = spec["steps"], spec["n"] + spec["fresh_samples"]
    flops = 6.0 * params * steps_samples * epochs * networks
    records = len(spec.get("checkpoints", ())) + spec.get("mse_times", 0)
    recorded = params if weights_recorded else 0
    memory = (
        networks * samples * width * word * 3
        + networks * samples * (inputs + 1) * 16
        + spec["trials"] * spec.get("fresh_samples", 0) * inputs * 16
        + networks * params * word * 8
        + networks * records * (recorded + samples) * 8
    )
    return flops, float(memory)


def runtime_minutes(spec: dict, cluster: dict, work=job_work) -> int:
    """Minutes to request: the job's work at the assumed speed, times a safety factor."""
    flops, _ = work(spec)
    minutes = flops / (cluster["gflops"] * 1e9) / 60 * cluster["safety"]
    return int(max(cluster["min_runtime"], round(minutes + 2)))


def mem_mb(spec: dict, keras: bool = True, work=job_work) -> int:
    """Memory to request (MB) on the CPU kernel's path or, with ``keras``,
    a Keras path: the process, and its arrays with 10% more (numpy's
    temporaries; 70% on Keras' paths, the compiler's and TensorFlow's allocator's too)."""
    _, memory = work(spec)
    path = "keras" if keras else "kernel"
    return int(PROCESS_MB[path] + ARRAY_FACTOR[path] * memory / 2**20)
