"""Adding an experiment: its config section and schema, its package, and
its report captions, nothing else. A toy experiment E9 written that way,
with a figure, a table, a claim and a merge of its own, trains, merges
(its way), draws, tabulates and has its claim judged through the workflow,
is in the default targets, the CLI's choices, the report's first page and
the SLURM profile's GPU requests, with no edit to any shared file."""

import os
import subprocess
import sys
import textwrap

import pytest
import xarray as xr
import yaml
from conftest import snakemake

TOY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "default": {},
    "properties": {
        "ks": {"type": "array", "items": {"type": "integer", "minimum": 1}, "default": [1, 2]},
        "trials": {"type": "integer", "minimum": 1, "default": 3},
    },
}

FILES = {
    "__init__.py": '"""E9, a toy: each trial draws k normal numbers and keeps their mean."""\n',
    "record.py": '''
        from ...plan.record import ConfigError, Experiment, Merge, Plot, common_spec

        JOB = "results/jobs/toy/k{k}.nc"


        def jobs(config):
            return [JOB.format(k=k) for k in config["toy"]["ks"]]


        def spec(config, k):
            return {**common_spec(config), "k": int(k), "trials": config["toy"]["trials"]}


        def check(config):
            if len(set(config["toy"]["ks"])) != len(config["toy"]["ks"]):
                raise ConfigError(f"config key toy.ks must be distinct, got {config['toy']['ks']}")


        def work(spec):
            """(flops, bytes) of a job, for the cluster's requests."""
            return float(spec["k"] * spec["trials"]), 8.0 * spec["k"] * spec["trials"]


        RECORD = Experiment(
            "toy", "E9", JOB, jobs, spec, ("value",), checkpoints=False, plots=(Plot("toy", paper=False),),
            tables=("toy",), check=check, work=work, wildcards={"k": r"\\d+"}, merge=Merge(function=f"{__package__}.merge:merge"),
        )
    ''',
    "job.py": '''
        import time
        from dataclasses import dataclass, field

        import numpy as np
        import xarray as xr

        from ...science import seeding
        from ..common import JobSpec


        @dataclass(frozen=True, kw_only=True)
        class Job(JobSpec):
            k: int
            trials: int
            seed: int  # seed and dtype: the schema's, as every key's default
            dtype: str
            optimizer: dict = field(default_factory=dict)


        def run(job, progress_every=10.0):
            start = time.perf_counter()
            values = [seeding.generator(job.seed, "toy", "draws", job.k, t).normal(size=job.k).mean() for t in range(job.trials)]
            ds = xr.Dataset({"value": ("trial", np.array(values))}, coords={"trial": np.arange(job.trials), "k": job.k})
            ds.attrs.update(config="{}", wall_seconds=time.perf_counter() - start)
            return ds
    ''',
    "merge.py": '''
        from ...analysis.merge import merge_jobs


        def merge(paths, variables):
            """Its own merge: the generic one over k, and the number of its draws."""
            ds = merge_jobs(paths, ("k",), variables, "toy")
            ds.attrs["draws"] = int(ds.k.sum()) * ds.sizes["trial"]
            return ds
    ''',
    "claims.py": '''
        from ...analysis.claims import measure, per_trial


        @measure("toy")
        def toy_mean(ds):
            """The mean of every trial's mean of normal draws."""
            return per_trial(ds.value.mean("k"))
    ''',
    "paper_values.yaml": '''
        claims:
          - id: E9_mean_near_zero
            experiment: toy
            short: "E9: means of normal draws"
            source: "a toy"
            quote: "the mean of normal draws is near zero"
            statement: the trials' mean of k normal draws lies within 2 of 0
            why: a toy's claim, proving a claim needs only its package
            range: [-2, 2]
            measure: toy_mean
    ''',
    "tiny.yaml": '''
        ks: [1, 2]
        trials: 2
    ''',
    "analysis.py": '''
        def table(ds):
            return ds.value.mean("trial").to_dataframe().reset_index()


        TABLES = {"toy": table}
    ''',
    "figure.py": '''
        def draw(ds, options):
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(dpi=options.dpi)
            ax.plot(ds.k, ds.value.mean("trial"), marker="o")
            return fig


        FIGURES = {"toy": draw}
    ''',
}

def add_toy(workdir):
    """E9 as a new maintainer would add it: a config section, the schema's
    entry, the package, its captions. Returns the files touched."""
    package = workdir / "src/empirical_size/experiments/toy"
    package.mkdir()
    for name, text in FILES.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())
    captions = {"toy.rst": "E9's figure: the mean draw against k.\n", "toy_table.rst": "E9's table.\n"}
    for name, text in captions.items():
        (workdir / "workflow/report" / name).write_text(text)
    schema_path = workdir / "workflow/schemas/config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    schema["properties"]["toy"] = TOY_SCHEMA
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))
    config_path = workdir / "config/config.yaml"
    config_path.write_text(config_path.read_text() + "\ntoy:\n  ks: [1, 2]\n  trials: 3\n")
    return {"config/config.yaml", "workflow/schemas/config.schema.yaml"} | {f"workflow/report/{name}" for name in captions} | {
        f"src/empirical_size/experiments/toy/{name}" for name in FILES
    }


@pytest.mark.workflow
def test_a_new_experiment_needs_its_config_its_package_and_its_captions_only(workdir):
    touched = add_toy(workdir)
    assert all((workdir / path).is_file() for path in touched)

    # planned: its training and merge rules (generated), in the default targets
    plan = snakemake(workdir, "-n")
    plan = plan.stdout + plan.stderr
    assert plan.count("rule toy_train:") == 2
    assert all(plan.count(f"rule {rule}:") == 1 for rule in ("toy_merge", "toy_plot", "toy_table"))

    # trains, merges, draws and tabulates through the workflow
    snakemake(workdir, "results/toy.png", "results/toy.csv")
    ds = xr.load_dataset(workdir / "results/data/toy.nc")
    assert ds.value.dims == ("k", "trial") and ds.k.values.tolist() == [1, 2]
    assert ds.attrs["draws"] == 9  # its own merge: (1 + 2) draws x 3 trials
    assert (workdir / "results/toy.png").stat().st_size > 1000
    assert (workdir / "results/toy.csv").read_text().startswith("k,")

    # its claim is judged beside the paper's: the reproduction rule reads its
    # data set, and its measure and entry are found in its package
    assert "results/data/toy.nc" in plan.split("rule reproduction:")[1].split("\n\n")[0]
    out = workdir / "results/repro_toy.csv"
    env = {**os.environ, "PYTHONPATH": str(workdir / "src")}
    cmd = [sys.executable, "-m", "empirical_size", "reproduce", "--data", "toy=results/data/toy.nc", "--out", str(out)]
    subprocess.run(cmd, cwd=workdir, env=env, check=True, capture_output=True)
    import pandas as pd

    row = pd.read_csv(out).set_index("claim").loc["E9_mean_near_zero"]
    assert row.verdict in ("reproduced", "inconclusive", "contradicted") and row.trials == 3

    # the report's first page shows its table, as its analysis gives it
    assert "results/toy.csv" in snakemake(workdir, "results/report.rst", "-n").stdout

    # the CLI knows its figure and table
    helps = [
        subprocess.run([sys.executable, "-m", "empirical_size", *cmd, "-h"], capture_output=True, text=True, env=env).stdout
        for cmd in (["plot"], ["table"])
    ]
    assert all("toy" in h for h in helps)

    # on SLURM its training asks a GPU like every other; its merge runs locally
    cluster = snakemake(workdir, "-n", "--profile", "profiles/slurm", "results/data/toy.nc", "-F")
    block = (cluster.stdout + cluster.stderr).split("rule toy_train:")[1].split("\n\n")[0]
    assert "gpu=1" in block

    # its checks run with the others, naming the key
    (workdir / "config/bad.yaml").write_text("toy:\n  ks: [1, 1]\n")
    bad = snakemake(workdir, "-n", "--configfile", "config/bad.yaml", check=False)
    assert bad.returncode != 0 and "config key toy.ks must be distinct" in bad.stdout + bad.stderr


@pytest.mark.workflow
def test_changing_a_new_experiments_setting_reruns_only_its_jobs(workdir):
    add_toy(workdir)
    snakemake(workdir, "results/data/toy.nc")
    config = yaml.safe_load((workdir / "config/config.yaml").read_text())
    config["toy"]["ks"] = [1, 2, 3]
    (workdir / "config/more.yaml").write_text(yaml.safe_dump(config))
    plan = snakemake(workdir, "results/data/toy.nc", "-n", "--configfile", "config/more.yaml")
    plan = plan.stdout + plan.stderr
    assert plan.count("rule toy_train:") == 1 and "results/jobs/toy/k3.nc" in plan


def test_a_record_without_a_work_estimate_that_the_generic_one_cannot_read_says_so(monkeypatch):
    from empirical_size.plan import registry, resources
    from empirical_size.plan.record import Experiment

    toy = Experiment("toy", "E9", "results/jobs/toy/k{k}.nc", lambda config: [], lambda config, k: {"k": int(k)})
    monkeypatch.setitem(registry.EXPERIMENTS, "toy", toy)
    config = {"cluster": {"gflops": 10, "safety": 2, "min_runtime": 5}}
    with pytest.raises(registry.ConfigError, match=r"E9 toy: .*no 'depth'.*give its record a work function"):
        registry.resources("toy", config, {"k": "3"})
    monkeypatch.setitem(registry.EXPERIMENTS, "toy", Experiment(**{**toy.__dict__, "work": lambda spec: (6e12, 2**30)}))
    asked = registry.resources("toy", config, {"k": "3"})
    assert asked["runtime"] == 22  # 10 min at 10 GFLOP/s, twice, + 2
    assert asked["mem_mb"] in {int(resources.PROCESS_MB[p] + resources.ARRAY_FACTOR[p] * 1024) for p in ("kernel", "keras")}  # 1 GiB of arrays
