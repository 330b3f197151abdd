# Shared by every experiment's rules: config checks the schema cannot
# express, the library's code files, and the job lists (from the library).
import json
import os
import shlex
import sys
from pathlib import Path

SRC = Path(workflow.basedir) / "src"
# Jobs run the workflow's own copy of the library, also inside conda envs
# (which install only its dependencies) and on cluster nodes (which re-read
# this file).
_paths = [p for p in os.getenv("PYTHONPATH", "").split(os.pathsep) if p]
os.environ.update(PYTHONPATH=os.pathsep.join([str(SRC)] + _paths))
sys.path.insert(0, str(SRC))
# Log cadence reaches jobs through the environment, not params: changing it
# must not rerun training.
os.environ.update(
    EMPIRICAL_SIZE_PROGRESS_EVERY=str(config["progress_every"]),
    EMPIRICAL_SIZE_CHECKPOINT_EVERY=str(config["checkpoint_every"]),
)

from snakemake.exceptions import WorkflowError
from empirical_size import grid

try:
    grid.check(config)
except grid.ConfigError as err:
    raise WorkflowError(str(err))

PKG = SRC / "empirical_size"
# Library files whose change must rerun training: Snakemake's code trigger
# only sees a rule's own shell command.
TRAIN_CODE = [
    str(PKG / f)
    for f in (
        "backend.py",
        "batching.py",
        "cpu_kernel.cpp",
        "cpu_kernel.py",
        "engine.py",
        "fused.py",
        "networks.py",
        "packing.py",
        "seeding.py",
        "storage.py",
        "training.py",
    )
]
PLOT_CODE = [str(PKG / "plots.py")]
MERGE_CODE = [str(PKG / f) for f in ("merge.py", "storage.py")]


def as_json(obj):
    return json.dumps(obj, sort_keys=True)


def size_spec(wildcards):
    return as_json(grid.size_spec(config, **wildcards))


def batching_spec(wildcards):
    return as_json(grid.batching_spec(config, **wildcards))


def minima_spec(wildcards):
    return as_json(grid.minima_spec(config, **wildcards))


def degenerate_spec(wildcards):
    return as_json(grid.degenerate_spec(config))


def linearity_spec(wildcards):
    return as_json(grid.linearity_spec(config))


def knots_spec(wildcards):
    return as_json(grid.knots_spec(config))


def runtime_of(spec):
    """Cluster runtime request (minutes) of a training rule, from its spec."""
    return lambda wildcards: grid.runtime_minutes(
        json.loads(spec(wildcards)), config["cluster"]
    )


def mem_mb_of(spec):
    return lambda wildcards: grid.mem_mb(json.loads(spec(wildcards)))


TRAIN_NOISE_CODE = TRAIN_CODE + [
    str(PKG / "experiments" / f) for f in ("common.py", "noise_fit.py")
]
TRAIN_FUNCTION_CODE = TRAIN_CODE + [
    str(PKG / f)
    for f in ("targets.py", "experiments/common.py", "experiments/function_fit.py")
]


def sensitivity_spec(wildcards):
    return as_json(grid.sensitivity_spec(config, wildcards.setting, wildcards.part))


def sensitivity_checkpoint(wildcards, output):
    """Only E2's jobs checkpoint (E1's take seconds)."""
    if not wildcards.part.startswith("size"):
        return ""
    return f"--checkpoint {shlex.quote(grid.checkpoint_path(output[0]))}"


def sensitivity_pairs(part):
    jobs = grid.sensitivity_jobs(config, part)
    return " ".join(shlex.quote(f"{label}={path}") for label, path in jobs)
