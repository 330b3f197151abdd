"""The project's structure: each experiment's one name and record, the code
a job depends on (derived from its imports), one way to train chosen once,
the paper's settings in one place."""

import json
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT

from empirical_size import paper
from empirical_size.analysis import stats
from empirical_size.plan import code, registry


def tiny_specs() -> dict[str, dict]:
    """Each experiment with jobs of its own: the spec of its first job in the
    tiny config (its package's tiny.yaml over config/config.yaml, the
    schema's defaults filled in), so that a new experiment needs no entry here."""
    import re

    from snakemake.utils import validate
    from test_workflow import TINY

    def merged(base, over):
        return {k: merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v for k, v in {**base, **over}.items()}

    config = merged(yaml.safe_load((ROOT / "config/config.yaml").read_text()), TINY)
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    out = {}
    for name, e in registry.EXPERIMENTS.items():
        if e.trained_by is not None:
            continue
        pattern = re.escape(e.job)
        for wildcard in re.findall(r"\{(\w+)\}", e.job):
            pattern = pattern.replace(re.escape(f"{{{wildcard}}}"), f"(?P<{wildcard}>{e.wildcards.get(wildcard, '.+?')})")
        wildcards = re.fullmatch(pattern, e.jobs(config)[0]).groupdict()
        out[name] = e.spec(config, **wildcards)
    return out


TINY_SPECS = tiny_specs()
LOADED = """
import json, sys
from empirical_size.training import job
job.train(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3])
print(json.dumps(sorted(getattr(m, "__file__", None) or "" for name, m in sys.modules.items() if name.startswith("empirical_size"))))
"""


def test_each_experiment_has_one_name_everywhere():
    """Its config section, package (record apart from job, analysis and
    figure), rules file, rules, data set, job and log folders."""
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    for name, e in registry.EXPERIMENTS.items():
        package = ROOT / "src/empirical_size/experiments" / name
        assert (package / "record.py").is_file() and not package.with_suffix(".py").exists()
        assert (package / "job.py").is_file() == (e.trained_by is None)  # E7's jobs are E1's and E2's
        assert (package / "figure.py").is_file() == bool(e.figures) and (package / "analysis.py").is_file() >= bool(e.tables)
        assert (ROOT / "workflow/rules" / f"{name}.smk").is_file() == (e.merge is None)  # its own merge only: figures and tables are generated
        assert name in config and name in schema["properties"]
        assert e.data == f"results/data/{name}.nc"
        assert e.job.startswith(f"results/jobs/{name}/") and e.train_log.startswith(f"results/logs/{name}/")
    assert [e.paper for e in registry.EXPERIMENTS.values()] == [f"E{i}" for i in range(1, len(registry.EXPERIMENTS) + 1)]


def test_every_experiment_brings_its_tiny_config():
    """A new experiment cannot miss the code-trigger test or the tiny workflow
    run: both read its package's tiny.yaml, which every package has."""
    from test_workflow import TINY

    assert set(TINY_SPECS) == {name for name, e in registry.EXPERIMENTS.items() if e.trained_by is None}
    assert set(registry.EXPERIMENTS) <= set(TINY) and all(TINY[name] for name in registry.EXPERIMENTS)


def test_each_experiments_analysis_and_figure_modules_are_under_a_rules_code_trigger(monkeypatch):
    """Editing an analysis or figure module reruns what reads it: some rule's
    code parameter (plot_code, table_code, a merge's, the report's) watches
    every one. The module sets the workflow fingerprints, recorded as it parses."""
    from conftest import workflow_rules

    asked = []
    fingerprint = code.fingerprint
    monkeypatch.setattr(code, "fingerprint", lambda *modules: asked.append(modules) or fingerprint(*modules))
    workflow_rules()
    watched = {path for modules in asked for path in code.files(*modules)}
    for name in registry.EXPERIMENTS:
        for module in ("analysis", "figure"):
            path = code.PACKAGE / "experiments" / name / f"{module}.py"
            assert not path.exists() or path in watched, f"no rule's code trigger watches experiments/{name}/{module}.py"


def test_each_records_figures_and_tables_are_its_packages():
    """The CLI's choices are the records'; each is drawn or made by its package."""
    import importlib

    for e in registry.EXPERIMENTS.values():
        if e.figures:
            assert set(importlib.import_module(f"{e.package}.figure").FIGURES) == set(e.figures)
        if e.tables:
            assert set(importlib.import_module(f"{e.package}.analysis").TABLES) == set(e.tables)
            assert all(f"{table}.csv" in e.products for table in e.tables)


def test_the_workflow_imports_no_training_or_analysis_code_to_plan():
    """Planning a run reads the records alone: no job, analysis or figure module, no numpy-heavy library."""
    code = "import sys; from empirical_size.plan import registry; print(sorted(m for m in sys.modules if m.startswith(('empirical_size', 'xarray', 'matplotlib', 'tensorflow', 'keras'))))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    loaded = proc.stdout
    assert proc.returncode == 0 and ".record" in loaded, proc.stderr
    assert not any(word in loaded for word in (".job'", ".analysis'", ".figure'", "xarray", "matplotlib", "tensorflow", "keras")), loaded


@pytest.mark.parametrize("experiment", sorted(TINY_SPECS))
def test_a_jobs_derived_code_holds_every_module_it_runs(experiment, tmp_path):
    """What a training job really imports (its process's modules at the end)
    is among the files its code trigger watches; plotting is not."""
    spec = TINY_SPECS[experiment]
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, experiment, json.dumps(spec), str(tmp_path / "job.nc")],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = {p for p in json.loads(proc.stdout.splitlines()[-1]) if p}
    watched = {str(p) for p in code.files("empirical_size.training.job", registry.EXPERIMENTS[experiment].job_module())}
    assert loaded and loaded <= watched, sorted(loaded - watched)
    assert not any(p.endswith(("plots.py", "reproduction.py", "cli.py", "analysis.py", "figure.py")) for p in watched)  # analysis: never training's
    if experiment != "knots":  # E6 counts pieces in numpy
        assert str(code.PACKAGE / "engine" / "cpu_kernel.cpp") in watched  # a data file the kernel builds from
    assert xr.load_dataset(tmp_path / "job.nc").attrs["config"]


def test_the_fingerprint_follows_the_content_of_every_watched_file(tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "empirical_size"
    shutil.copytree(code.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(code, "PACKAGE", copy)
    code.files.cache_clear()
    roots = ("empirical_size.training.job", "empirical_size.experiments.size.job")
    before = code.fingerprint(*roots)
    (copy / "analysis/plots.py").write_text((copy / "analysis/plots.py").read_text() + "\n# edited\n")
    code.files.cache_clear()
    assert code.fingerprint(*roots) == before
    for name in ("engine/keras_trainer.py", "engine/cpu_kernel.cpp", "experiments/common.py"):
        (copy / name).write_text((copy / name).read_text() + "\n// edited\n" if name.endswith(".cpp") else (copy / name).read_text() + "\n# edited\n")
        code.files.cache_clear()
        assert code.fingerprint(*roots) != before, name
        before = code.fingerprint(*roots)
    code.files.cache_clear()


def test_a_trainer_takes_its_steps_one_way_chosen_once(monkeypatch):
    from empirical_size.engine import keras_steps, keras_trainer, path_setting
    from empirical_size.engine.trainer import make_trainer

    assert make_trainer([3, 4, 1], 2, "float64", path="graph").gradient_path == "tensorflow graph"
    assert make_trainer([3, 4, 1], 2, "float64", path="xla").gradient_path == "tensorflow xla"
    monkeypatch.setenv(path_setting.SETTING, "graph")
    trainer = make_trainer([3, 4, 1], 2, "float64")
    assert isinstance(trainer.steps, keras_steps.TensorFlowSteps) and trainer.kernel_arch is None
    monkeypatch.setenv(path_setting.SETTING, "threads")
    with pytest.raises(ValueError, match="EMPIRICAL_SIZE_PATH"):
        make_trainer([3, 4, 1], 2, "float64")
    with pytest.raises(ValueError, match="jax backend"):
        make_trainer([3, 4, 1], 2, "float64", path="jax")
    assert not hasattr(keras_trainer, "GRADIENT_PATHS")


def test_the_papers_settings_live_in_one_place():
    from empirical_size.engine.trainer import AdadeltaSettings
    from empirical_size.experiments.size.job import SizeJob

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    assert config["optimizer"] == paper.ADADELTA and config["dtype"] == paper.SETTINGS["dtype"]
    assert AdadeltaSettings() == AdadeltaSettings(**paper.ADADELTA)
    assert SizeJob.from_dict(dict(depth=2, n=3, first_trial=0, trials=1, epochs=1, record_every=1)).optimizer == paper.ADADELTA
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert not any("default" in p for p in schema["properties"]["optimizer"]["properties"].values())


def test_mean_and_standard_error_leave_out_nan_trials():
    a = xr.DataArray([[1.0, 2.0, 4.0, np.nan], [3.0, np.nan, np.nan, np.nan]], dims=("point", "trial"))
    mean, se = stats.mean_se(a, "trial")
    np.testing.assert_allclose(mean, [7 / 3, 3.0])
    np.testing.assert_allclose(se[0], np.std([1, 2, 4], ddof=1) / np.sqrt(3))
    assert np.isnan(se[1])  # one trial: no error
    whole, whole_se = stats.mean_se(a)
    assert float(whole) == 2.5 and np.isclose(float(whole_se), np.std([1, 2, 4, 3], ddof=1) / 2)


def test_editing_an_experiments_analysis_or_figure_redraws_its_own_products_only():
    """No other experiment's figure or table watches an experiment's
    analysis.py or figure.py (plots.py, which every figure's trigger holds,
    imports none of them); checked to fail by a figure importing another's."""
    from pathlib import Path

    def watched(e, extra=()):
        files = set()
        if e.figures:
            files |= set(code.files("empirical_size.analysis.plots", "empirical_size.analysis.reproduction", f"{e.package}.record", f"{e.package}.figure", *extra))
        if e.tables:
            files |= set(code.files(f"{e.package}.analysis", f"{e.package}.record"))
        return files

    own = {name: {p for p in (Path(e.package_dir) / "analysis.py", Path(e.package_dir) / "figure.py") if p.exists()} for name, e in registry.EXPERIMENTS.items()}
    for name, e in registry.EXPERIMENTS.items():
        others = set().union(*(files for other, files in own.items() if other != name))
        assert not watched(e) & others, (name, sorted(str(p) for p in watched(e) & others))
    size = registry.EXPERIMENTS["size"]
    assert watched(size, ["empirical_size.experiments.degenerate.analysis"]) & own["degenerate"]  # the check can fail
    # nor the cluster's requests: tuning a memory or runtime estimate redraws nothing
    planning = {p for p in code.files("empirical_size.plan.registry") if p.name in ("registry.py", "resources.py")}
    assert len(planning) == 2
    for name, e in registry.EXPERIMENTS.items():
        assert not watched(e) & planning, (name, sorted(str(p) for p in watched(e) & planning))


def test_every_default_lives_in_the_schema_alone():
    """No job class names a default for a key its config section (or the
    schema's top level: seed, dtype) has; a spec that leaves a key out
    takes the schema's. The one exception: E4's zero variant leaves
    bias_scale out of its spec (it draws no biases), and its class keeps 0
    for it (the schema's 0.5 is the uniform variant's)."""
    import dataclasses
    import importlib

    from empirical_size.experiments.size.job import SizeJob
    from empirical_size.plan import schema

    named = []
    for name, e in registry.EXPERIMENTS.items():
        if e.trained_by is not None:
            continue
        module = importlib.import_module(f"{e.package}.job")
        for cls in {c for c in vars(module).values() if dataclasses.is_dataclass(c) and c.__module__ == module.__name__}:
            keys = schema.defaults(cls.section())
            for f in dataclasses.fields(cls):
                if f.name in keys and (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING):
                    named.append(f"{cls.section()}.{f.name}: {cls.__name__}")
    assert sorted(set(named)) == ["minima.bias_scale: MinimaJob"], named
    own = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())["properties"]
    job = SizeJob.from_dict({"depth": 2, "n": 3})
    assert (job.width, job.epochs, job.seed, job.dtype) == tuple(
        own[k]["default"] if k in own else own["size"]["properties"][k]["default"] for k in ("width", "epochs", "seed", "dtype")
    )
    with pytest.raises(ValueError, match=r"lacks \['n'\].*section 'size'"):
        SizeJob.from_dict({"depth": 2})
