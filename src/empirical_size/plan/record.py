"""What every experiment's record is made of, and the settings every job shares.

An experiment is its config section (``config/*.yaml`` and the schema) and its
package ``empirical_size.experiments.<name>``, whose ``record`` module holds
one :class:`Experiment` (``RECORD``): its jobs, their specs, checks across
its keys, its merge, figures and tables. The workflow generates the training
and merge rules from the records; the CLI's choices, the cluster's requests
and the default targets come from them too (:mod:`empirical_size.plan.registry`).

Light on purpose: the workflow imports every record to plan a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = __name__.split(".")[0]  # the package (empirical_size)


def experiment_modules(module: str) -> list[str]:
    """``empirical_size.experiments.<name>.<module>`` of every experiment
    package that has one (``record``, ``claims``): found by name, imported
    by none here, so that nothing lists the experiments."""
    import importlib
    import importlib.util
    import pkgutil

    root = importlib.import_module(f"{ROOT}.experiments")
    names = (f"{root.__name__}.{info.name}.{module}" for info in pkgutil.iter_modules(root.__path__) if info.ispkg)
    return sorted(name for name in names if importlib.util.find_spec(name) is not None)


class ConfigError(ValueError):
    """A config value that the schema cannot reject; names the key."""


def common_spec(config: dict) -> dict:
    """Settings every training job depends on."""
    return {
        "seed": config["seed"],
        "dtype": config["dtype"],
        "matmul_precision": config["matmul_precision"],
        "optimizer": dict(config["optimizer"]),
    }


def section_spec(config: dict, section: str, drop=()) -> dict:
    """A job spec of a whole config section, ``drop``'s keys left out."""
    s = {k: v for k, v in config[section].items() if k not in drop}
    return {**common_spec(config), **s}


def merge_config(config: dict, section: str, plot_only=()) -> dict:
    """What a merged data set records of the config it came from (``plot_only``
    keys left out, so that changing them redraws figures only)."""
    part = {k: v for k, v in config[section].items() if k not in plot_only}
    return {section: part, "backend": config["backend"], **common_spec(config)}


def trial_chunks(trials: int, per_job: int) -> list[tuple[int, int]]:
    """Chunks of trial indices as ``(first, last)``, ``last`` included.

    Boundaries are multiples of ``per_job``: adding trials adds chunks and
    changes no existing one except a partial last chunk.
    """
    return [(f, min(f + per_job, trials) - 1) for f in range(0, trials, per_job)]


def increasing(config: dict, section: str, key: str) -> None:
    """``section.key`` lists distinct values in increasing order."""
    values = config[section].get(key, [])
    if sorted(set(values)) != list(values):
        raise ConfigError(f"config key {section}.{key} must be increasing, got {values}")


def domain_increasing(config: dict, section: str) -> None:
    d = config[section]["domain"]
    if d[0] >= d[1]:
        raise ConfigError(f"config key {section}.domain must be increasing, got {d}")


@dataclass(frozen=True)
class Merge:
    """How the workflow's generated merge rule combines an experiment's job
    files (``python -m empirical_size merge``)."""

    grid: tuple[str, ...] = ()  # scalar coordinates that index the jobs
    broadcast: Callable[[dict], dict[str, list]] | None = None  # config -> {dim: values} for files without dim
    attrs: Callable[[dict], dict] | None = None  # config -> extra attributes of the merged data set
    function: str | None = None  # "module:function" (paths, variables) -> Dataset, instead of the generic merge
    finish: str | None = None  # "module:function" Dataset -> Dataset, applied to the generic merge's result


def colour_map(config: dict, wildcards: dict) -> dict:
    """A heat map's `plot` option: the config's colour map."""
    return {"cmap": config["plot"]["cmap"]}


@dataclass(frozen=True)
class Plot:
    """One figure rule the workflow generates from the record
    (``workflow/rules/experiments.smk``): ``python -m empirical_size plot
    <figure>`` of the experiment's merged data set to ``results/<output>``."""

    figure: str  # the `plot` choice: its package's figure.FIGURES key
    rule: str = ""  # the rule's name (default <figure>_plot)
    output: str = ""  # under results/ (default <figure>.png); wildcards allowed (fig2_{variant}.png)
    caption: str = ""  # workflow/report/<caption> (default <figure>.rst)
    wildcards: dict[str, tuple[str, ...]] = field(default_factory=dict)  # each output wildcard's values
    options: Callable[[dict, dict], dict] | None = None  # (config, wildcards) -> `plot` options beside --dpi
    paper: bool = True  # its footer names the settings that differ from config/paper.yaml

    @property
    def rule_name(self) -> str:
        return self.rule or f"{self.figure}_plot"

    @property
    def path(self) -> str:
        return f"results/{self.output or self.figure + '.png'}"

    @property
    def caption_file(self) -> str:
        """Its caption, relative to ``workflow/rules/``."""
        return f"../report/{self.caption or self.figure + '.rst'}"

    @property
    def log_step(self) -> str:
        """Its log's name: the rule's and its wildcards (one log per output)."""
        return self.rule_name + "".join(f"_{{{name}}}" for name in self.wildcards)

    def products(self) -> list[str]:
        """Its outputs, each wildcard at each of its values."""
        out = [self.path]
        for name, values in self.wildcards.items():
            out = [o.replace(f"{{{name}}}", v) for o in out for v in values]
        return out


@dataclass(frozen=True)
class Experiment:
    """One experiment as the workflow, the CLI, the estimate and the cluster
    requests see it. Its ``name`` is its config section, package
    (``empirical_size.experiments.<name>``), training and merge rules
    (``<name>_train``, ``<name>_merge``), CLI job kind, merged data set, log
    and job folders, and rules file where its merge is its own
    (``workflow/rules/<name>.smk``); its figure and table rules are generated
    from ``plots`` and ``tables``."""

    name: str
    paper: str  # E1 ... E7, and E8 beyond the paper
    job: str  # path pattern of its training jobs
    jobs: Callable[[dict], list[str]]  # the config's job files (E7: those it trains itself)
    spec: Callable[..., dict]  # (config, **wildcards) -> a job's spec
    variables: tuple[str, ...] = ()  # data variables every job file (E7: its merged data set) has
    checkpoints: bool = True  # whether its training jobs checkpoint
    plots: tuple[Plot, ...] = ()  # its figure rules; their `plot` choices are drawn by its package's figure.FIGURES
    tables: tuple[str, ...] = ()  # `table` choices and rules (results/<table>.csv), made by its package's analysis.TABLES
    category: str = ""  # the report's category of its figures and tables (default: its label)
    trained_by: Callable[[dict], str] | None = None  # wildcards -> the experiment whose job module trains a job
    check: Callable[[dict], None] | None = None  # checks across its config keys; raises ConfigError
    work: Callable[[dict], tuple[float, float]] | None = None  # spec -> (flops, bytes); None: plan.work.job_work
    wildcards: dict[str, str] = field(default_factory=dict)  # regular expressions of its job path's wildcards
    priority: int = 0  # its training rule's: long jobs first
    gpu: bool = True  # whether its training jobs ask a cluster for a GPU
    merge: Merge | None = Merge()  # None: its rules file has its own merge rule (it reads other experiments)
    plot_only: tuple[str, ...] = ()  # config keys its merged data set leaves out: changing them redraws figures only
    paper_sections: tuple[str, ...] = ()  # config sections its figures' footers hold against the paper's (default: its own)

    @property
    def figures(self) -> tuple[str, ...]:
        """Its `plot` choices."""
        return tuple(dict.fromkeys(p.figure for p in self.plots))

    @property
    def products(self) -> tuple[str, ...]:
        """Its figures and tables under results/ (without the prefix)."""
        paths = [path for p in self.plots for path in p.products()] + [f"results/{t}.csv" for t in self.tables]
        return tuple(path.removeprefix("results/") for path in paths)

    @property
    def package(self) -> str:
        return f"{ROOT}.experiments.{self.name}"

    @property
    def package_dir(self) -> str:
        """Its package's folder (its ``tiny.yaml``, its own ``paper_values.yaml``)."""
        from pathlib import Path

        return str(Path(__file__).resolve().parents[1] / "experiments" / self.name)

    def job_module(self, wildcards: dict | None = None) -> str:
        """The module the training job at ``wildcards`` runs: its own package's
        ``job``, or the one of the experiment that trains it (E7: E1's, E2's)."""
        return f"{self.package.rsplit('.', 1)[0]}.{self.kind(wildcards or {})}.job"

    @property
    def data(self) -> str:
        return f"results/data/{self.name}.nc"

    @property
    def train_log(self) -> str:
        return self.job.replace("results/jobs/", "results/logs/", 1).removesuffix(".nc") + ".log"

    def log(self, step: str) -> str:
        return f"results/logs/{self.name}/{step}.log"

    def kind(self, wildcards: dict) -> str:
        """The CLI job kind that trains the job at ``wildcards``."""
        if self.trained_by is None:
            return self.name
        if not wildcards:
            raise ValueError(f"{self.paper} {self.name}'s jobs are other experiments' (trained_by): name a job's wildcards")
        return self.trained_by(wildcards)

    def train_code(self, wildcards: dict) -> str:
        """Fingerprint of the code the job at ``wildcards`` runs (:mod:`empirical_size.plan.code`)."""
        from . import code

        return code.fingerprint(f"{ROOT}.training.job", self.job_module(wildcards))
