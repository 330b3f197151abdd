# Shared by every experiment: config checks the schema cannot express, the
# code trigger, and the helpers of the training and merge rules that
# experiments.smk generates from each experiment's record (its package's
# record.py, found by registry.EXPERIMENTS).
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
from snakemake.utils import validate
from empirical_size.plan import registry
from empirical_size.plan.config_check import schema_error
from empirical_size.plan.failures import summary as failure_summary

# One line naming the key and the closest valid one, and nothing else (the
# validator's own message dumps the schema, a WorkflowError adds a traceback);
# then the validator, which fills in defaults.
SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
if schema_error(config, SCHEMA):
    sys.exit(schema_error(config, SCHEMA))
validate(config, str(SCHEMA))
try:
    registry.check(config)
except registry.ConfigError as err:
    sys.exit(str(err))

# Log cadence reaches jobs through the environment, not params: changing it
# must not rerun training.
os.environ.update(
    EMPIRICAL_SIZE_PROGRESS_EVERY=str(config["progress_every"]),
    EMPIRICAL_SIZE_CHECKPOINT_EVERY=str(config["checkpoint_every"]),
    EMPIRICAL_SIZE_CHECKPOINT_SECONDS=str(config["checkpoint_seconds"]),
)

from empirical_size.plan import code

EXPERIMENTS = registry.EXPERIMENTS


def as_json(obj):
    return json.dumps(obj, sort_keys=True)


# The code trigger: a fingerprint of the library files a step imports
# (derived from its imports, empirical_size.plan.code), as a parameter, so that
# editing one reruns the step and Snakemake lists no source files as inputs.
# The paper's settings, against which each figure's footer names the run's differences
PAPER_CONFIG = "config/paper.yaml"


def plot_code(name):
    """A figure rule's code trigger: the plots, the footers' paper values (and
    the claims experiments keep in their packages), the experiment's figure
    module and its record (the footers' sections)."""
    from empirical_size.analysis.reproduction import reference_files

    return code.fingerprint(
        "empirical_size.analysis.plots",
        "empirical_size.analysis.reproduction",
        f"{EXPERIMENTS[name].package}.figure",
        f"{EXPERIMENTS[name].package}.record",
    ) + code.digest(*reference_files()[1:])


# Every training rule runs the same command; the experiment's record says the rest.
TRAIN = (
    "python -m empirical_size train --job {params.kind} --backend {params.backend} --threads {threads}"
    " --spec {params.spec:q} {params.checkpoint} --out {output:q} > {log:q} 2>&1"
)


def spec_of(name):
    return lambda wildcards: as_json(EXPERIMENTS[name].spec(config, **wildcards))


def kind_of(name):
    return lambda wildcards: EXPERIMENTS[name].kind(dict(wildcards))


def train_code_of(name):
    return lambda wildcards: EXPERIMENTS[name].train_code(dict(wildcards))


def checkpoint_of(name):
    """``--checkpoint PATH`` for the jobs that keep one."""

    def option(wildcards, output):
        if not registry.checkpoints(name, dict(wildcards)):
            return ""
        return f"--checkpoint {shlex.quote(registry.checkpoint_path(output[0]))}"

    return option


def gpus_of(name):
    """The GPUs of a training job: the run's set-resources for its rule; else
    none where its record says a GPU would not help; else the run's
    default-resources (the SLURM profile's: one). They choose its path, so
    its memory."""
    asked = workflow.resource_settings.overwrite_resources.get(f"{name}_train", {})
    if "gpu" not in asked:
        if not EXPERIMENTS[name].gpu:
            return 0
        asked = workflow.resource_settings.default_resources or {}
    gpus = asked.get("gpu")
    if getattr(gpus, "is_evaluable", lambda: False)():
        sys.exit(
            f"{name}_train: ask for GPUs as a whole number (gpu=1), got an expression"
        )
    return int(getattr(gpus, "value", gpus) or 0)


def table_code(name):
    """A table rule's code trigger: the experiment's analysis (its TABLES) and
    its record (the variables a table needs)."""
    return code.fingerprint(
        f"{EXPERIMENTS[name].package}.analysis", f"{EXPERIMENTS[name].package}.record"
    )


def runtime_of(name):
    """Cluster runtime request (minutes) of a training job, from its spec,
    longer at each resubmission (``attempt``: the profile's ``retries``)."""
    return lambda wildcards, attempt: registry.resources(
        name, config, dict(wildcards), attempt=attempt
    )["runtime"]


def mem_mb_of(name):
    """Memory request (MB) of a training job, from its spec and its path,
    larger at each resubmission."""
    gpus = gpus_of(name)

    def mem_mb(wildcards, attempt):
        return registry.resources(name, config, dict(wildcards), gpus, attempt)[
            "mem_mb"
        ]

    return mem_mb


def merge_options(merge):
    """The merge command's options from an experiment's record (its Merge)."""
    options = ["--grid", *merge.grid] if merge.grid else []
    for dim, values in (merge.broadcast(config) if merge.broadcast else {}).items():
        options += ["--broadcast", f"{dim}={','.join(map(str, values))}"]
    if merge.attrs:
        options += ["--attrs", as_json(merge.attrs(config))]
    return " ".join(shlex.quote(o) for o in options)


def merge_code(merge):
    """The merge's code trigger: the generic merge's, and its own function's
    or finishing step's module."""
    own = [f.split(":")[0] for f in (merge.function, merge.finish) if f]
    return code.fingerprint("empirical_size.analysis.merge", *own)


def plot_options_of(name, index):
    """A figure rule's `plot` options beside --dpi, from its record's Plot
    (``options``: config and the output's wildcards -> values)."""
    options = EXPERIMENTS[name].plots[index].options

    def render(wildcards):
        out = []
        for key, value in (options(config, dict(wildcards)) if options else {}).items():
            values = value if isinstance(value, list) else [value]
            out += [f"--{key}", *map(str, values)]
        return " ".join(shlex.quote(o) for o in out)

    return render


# Every generated figure rule runs the same command; its Plot says the rest.
PLOT = (
    "python -m empirical_size plot {params.figure} --data {input.data:q} {params.paper}"
    " --dpi {params.dpi} {params.options} --out {output:q} > {log:q} 2>&1"
)
