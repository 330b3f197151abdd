"""The pipeline end to end on a tiny config, and its refusals of bad configs."""

import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT, copy_workflow, snakemake

from empirical_size.experiments.sensitivity import record as e7
from empirical_size.experiments.size import record as e2
from empirical_size.plan import registry

# Every experiment's tiny config section, from its package (experiments/<name>/tiny.yaml)
TINY = {
    **{name: yaml.safe_load((Path(e.package_dir) / "tiny.yaml").read_text()) for name, e in registry.EXPERIMENTS.items()},
    "plot": {"dpi": 40},
}

FIGURES = [p.removesuffix(".png") for e in registry.EXPERIMENTS.values() for p in e.products if p.endswith(".png")]
assert {"fig1", "fig2", "fig3", "fig4", "fig5", "degenerate", "knots", "sensitivity", "boosting"} <= set(FIGURES)  # the paper's and ours


def write_config(workdir, cfg, name="tiny.yaml"):
    path = workdir / "config" / name
    path.write_text(yaml.safe_dump(cfg))
    return f"config/{name}"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One tiny run of the whole workflow, shared by the tests below (none
    retrains it): ``results/fig1.png`` alone first, then every target."""
    workdir = copy_workflow(tmp_path_factory.mktemp("tiny"))
    cfg = write_config(workdir, TINY)
    snakemake(workdir, "results/fig1.png", "--configfile", cfg)
    fig1_jobs = sorted(str(p.relative_to(workdir / "results/jobs")) for p in (workdir / "results/jobs").rglob("*.nc"))
    fig1_again = snakemake(workdir, "results/fig1.png", "-n", "--configfile", cfg)
    snakemake(workdir, "--configfile", cfg)
    everything_again = snakemake(workdir, "-n", "--configfile", cfg)
    return SimpleNamespace(
        workdir=workdir, cfg=cfg, fig1_jobs=fig1_jobs, fig1_again=fig1_again.stdout + fig1_again.stderr,
        everything_again=everything_again.stdout + everything_again.stderr,
    )  # fmt: skip


@pytest.mark.workflow
def test_tiny_config_builds_figure_and_merged_data_then_rerun_does_nothing(tiny):
    workdir = tiny.workdir
    # fig1 alone trains E2's jobs and nothing else (4: 2 depths x 2 chunks, the sizes packed)
    assert [job.split("/")[0] for job in tiny.fig1_jobs] == ["size"] * 4, tiny.fig1_jobs
    assert (workdir / "results/fig1.png").stat().st_size > 10_000
    ds = xr.load_dataset(workdir / "results/data/size.nc")
    assert ds.mse.dims == ("depth", "n", "trial", "epoch")
    assert ds.depth.values.tolist() == [2, 3]
    assert ds.n.values.tolist() == [20, 35]
    assert ds.trial.values.tolist() == [0, 1, 2, 3]
    assert ds.epoch.values.tolist() == [20, 40]
    assert set(ds.data_vars) >= {"mse", "size", "sum_y2"}
    for var in ("mse", "size", "sum_y2"):
        assert ds[var].attrs["description"]
        assert np.isfinite(ds[var].values).all()
    # the job files carry provenance
    # sizes 20 and 35 train packed in one job (bucket 1-256), its file has an n dimension
    job = xr.load_dataset(workdir / "results/jobs/size/depth2/n1-256/trials2-3.nc")
    assert job.n.values.tolist() == [20, 35] and job.mse.dims == ("n", "trial", "epoch")
    for key in ("config", "seeds", "backend", "versions", "device", "wall_seconds"):
        assert key in job.attrs
    assert '"epochs": 40' in job.attrs["config"]
    log = (workdir / "results/logs/size/depth2/n1-256/trials0-1.log").read_text()
    assert re.search(r"40/40 epochs \(100%\), elapsed", log)

    assert "Nothing to be done" in tiny.fig1_again


@pytest.mark.workflow
def test_tiny_config_runs_every_target(tiny):
    import pandas as pd

    workdir = tiny.workdir
    for fig in FIGURES:
        assert (workdir / f"results/{fig}.png").stat().st_size > 5_000, fig
    assert (workdir / registry.REPRODUCTION_FIGURE).stat().st_size > 20_000  # the claims at a glance
    table = (workdir / "results/degenerate.csv").read_text().splitlines()
    assert table[0].startswith("layer,init_data_mean,init_data_sem") and len(table) == 1 + 4
    batching = xr.load_dataset(workdir / "results/data/batching.nc")
    assert batching.mse.dims == ("variant", "depth", "n", "trial", "epoch")
    assert sorted(batching.variant.values.tolist()) == ["drop", "keep", "resample"]
    # the batch-size sweep: its own variable, paired with the variants' trials
    assert batching.sweep_mse.dims == ("batch_size", "depth", "sweep_n", "trial", "epoch")
    assert batching.batch_size.values.tolist() == [32] and batching.sweep_n.values.tolist() == [40]
    steps = batching.steps_per_epoch.sel(depth=2)
    assert steps.sel(variant="keep", n=40) == 3  # 40 samples in batches of 16: 16, 16, 8
    assert steps.sel(variant="drop", n=40) == 2
    assert (steps.sel(n=20) == 1).all()  # below full_batch_below: full batch in every variant
    # the full-batch point is trained once and serves every variant
    assert not (workdir / "results/jobs/batching/keep/depth2/n20").exists()
    np.testing.assert_array_equal(batching.mse.sel(variant="keep", n=20), batching.mse.sel(variant="drop", n=20))
    minima = xr.load_dataset(workdir / "results/data/minima.nc")
    assert minima.output.dims == ("variant", "trial", "epoch", "x") and minima.epoch.values.tolist() == [5, 10]
    knots = xr.load_dataset(workdir / "results/data/knots.nc")
    assert knots.pieces.dims == ("width", "depth", "trial") and knots.width.values.tolist() == [4, 8]
    assert (knots.pieces >= 1).all() and (knots.pieces.sel(depth=1) <= knots.width + 1).all()
    assert knots.pieces_minima.dims == ("minima_variant", "minima_trial", "minima_epoch")
    assert knots.pieces_linearity.sizes["linearity_set"] == 3
    assert knots.pieces_trained.dims == ("width", "depth", "step", "trial") and knots.step.values.tolist() == [0, 1, 3]
    assert (knots.pieces_trained.sel(step=0) <= 2).all()  # the paper's zero biases: every kink at x = 0
    lin = xr.load_dataset(workdir / "results/data/linearity.nc")
    assert lin.output.sizes == {"set": 3, "trial": 2, "epoch": 4, "x": 30}  # checkpoints 5, 10, 20 and MSE times 5, 10, 15, 20
    assert lin.freq_mse.dims == ("frequency", "trial", "freq_epoch") and lin.frequency.values.tolist() == [1, 3]  # E5's frequency sweep
    assert lin.freq_epoch.values.tolist() == [10, 20, 30, 40] and lin.freq_target_variance.sizes == {"frequency": 2, "trial": 2}
    # E7: the baseline is E1's and E2's own jobs; each other setting trains once per part
    sens = xr.load_dataset(workdir / "results/data/sensitivity.nc")
    labels = ["baseline", "epsilon_1e-06", "learning_rate_0.1", "batch_size_16", "input_distribution_uniform_positive", "loss_scale_0.125", "optimizer_reset_True"]
    assert sens.setting.values.tolist() == labels and sens.depth.values.tolist() == [2, 3]
    assert sens.trained.sel(depth=3).values.tolist() == [True, False, True, False, False, False, False]
    assert sens.learning_rate.values.tolist() == [1.0, 1.0, 0.1, 1.0, 1.0, 1.0, 1.0]
    assert sens.loss_scale.values.tolist() == [1.0] * 5 + [0.125, 1.0] and sens.optimizer_reset.values.tolist() == [False] * 6 + [True]
    # the reset leaves E1 (no records in its five steps) as it is: E1's own job, not a new one
    assert not (workdir / "results/jobs/sensitivity/optimizer_reset_True/degenerate.nc").exists()
    np.testing.assert_array_equal(sens.dead.sel(setting="optimizer_reset_True"), sens.dead.sel(setting="baseline"))
    size = xr.load_dataset(workdir / "results/data/size.nc")
    for depth in (2, 3):
        np.testing.assert_array_equal(sens["size"].sel(setting="baseline", depth=depth), size["size"].sel(depth=depth, n=20, trial=[0, 1]))
    assert not (workdir / "results/jobs/sensitivity/baseline").exists()
    assert sens.steps_per_epoch.sel(depth=2).values.tolist() == [1, 1, 1, 2, 1, 1, 1]  # 20 samples in batches of 16
    assert not np.array_equal(sens["size"].sel(setting="epsilon_1e-06", depth=2), sens["size"].sel(setting="baseline", depth=2))
    # the knobs reach the engine: each job's provenance names what it trained with
    for label, part, key, value in (
        ("input_distribution_uniform_positive", "size_depth2", "input_distribution", "uniform_positive"),
        ("input_distribution_uniform_positive", "degenerate", "input_distribution", "uniform_positive"),
        ("learning_rate_0.1", "size_depth3", "learning_rate", 0.1),
        ("learning_rate_0.1", "degenerate", "learning_rate", 0.1),
        ("loss_scale_0.125", "size_depth2", "loss_scale", 0.125),
        ("loss_scale_0.125", "degenerate", "loss_scale", 0.125),
        ("optimizer_reset_True", "size_depth2", "reset_at_records", True),
    ):
        trained = json.loads(xr.load_dataset(workdir / f"results/jobs/sensitivity/{label}/{part}.nc").attrs["config"])
        assert trained.get(key, trained["optimizer"].get(key)) == value, (label, part)
    assert json.loads(size.attrs["config"])["size"]["input_distribution"] == "normal"
    # E8: one job per width and amplitude, merged; its table has a verdict per family
    boost = xr.load_dataset(workdir / "results/data/boosting.nc")
    assert boost.train_error.dims == ("width", "amplitude", "trial", "family", "low", "epoch")
    assert boost.amplitude.values.tolist() == [0.0, 1.0] and boost.epoch.values.tolist() == [0, 5, 10]
    answer = pd.read_csv(workdir / "results/boosting.csv")
    summary = answer[(answer["low"] == "all") & (answer.fit == "boosted")]
    assert summary.family.tolist() == ["noise", "high", "high+noise"] and summary.verdict.isin(["improves", "no difference", "worse"]).all()
    # the reproduction table: one row per claim; a tiny run is comparable with none
    from empirical_size.analysis import reproduction

    repro = pd.read_csv(workdir / "results/reproduction.csv")
    assert len(repro) == len(reproduction.load_reference()[1])
    assert (repro.verdict == reproduction.NOT_COMPARABLE).all()
    # a reading chosen after seeing data is a row beside the one fixed before the run
    post_hoc = repro[repro.reading.str.startswith("post hoc")]
    assert "E4_inside_out" in post_hoc.claim.values
    for i, reading in post_hoc.reading.items():
        j = int(repro.index[repro.claim == reading.removeprefix("post hoc, beside ")][0])  # the reading fixed before the run
        assert (repro.reading[min(i, j) + 1 : max(i, j)] == reading).all(), reading  # only its other post-hoc rows between
    assert repro.set_index("claim").loc["E1_dead_layer20"].why.startswith("run at other settings: degenerate.depth = 4")
    # every claim says why not: the settings of its own data sets that differ from the paper's
    rows = repro.set_index("claim")
    for claim in reproduction.load_reference()[1]:
        why = rows.loc[claim.id].why
        assert why.startswith("run at other settings: ") and any(f"{e}." in why for e in claim.uses), (claim.id, why)
    ours = rows.ours
    missing = ["E1_dead_layer10", "E1_dead_layer20", "E2_max_size_depth4"]  # 4 hidden layers in E1, depths 2 and 3 in E2
    assert ours[missing].isna().all()
    assert ours[["E1_dead_layer3", "E2_max_size_depth2", "E3_batch_size", "E5_noise_rate", "E6_pieces_after_few_steps"]].notna().all()
    assert "Nothing to be done" in tiny.everything_again


@pytest.mark.workflow
def test_the_report_embeds_every_figure_and_a_browser_shows_its_tables(tiny):
    from empirical_size.analysis import reproduction

    workdir, cfg = tiny.workdir, tiny.cfg
    snakemake(workdir, "--configfile", cfg, "--report", "results/report.html")
    report = (workdir / "results/report.html").read_text()
    for fig in FIGURES:
        assert f"{fig}.png" in report, fig
    assert "degenerate.csv" in report and "reproduction.csv" in report and "sensitivity.csv" in report and "boosting.csv" in report
    assert "Figure 1 of the paper (experiment E2)" in report and "Our choices where the paper is silent" in report
    # and a browser shows the answer on its first page: the workflow's text and the tables, rendered as tables
    from conftest import browser_dom

    dom = browser_dom(workdir / "results/report.html")
    assert "This report re-runs the experiments" in dom and "Run settings: dtype float32" in dom
    # the forest plot above the reproduction table, carried by the page itself
    assert re.search(r'<img [^>]*src="data:image/png;base64,[^"]{1000,}"', dom), dom[:2000]
    assert dom.index("data:image/png;base64,") < dom.index("<strong>E1_dead_layer3</strong>")
    rows = re.findall(r"<tr><td>(?:<p>)?([^<]*)(?:</p>)?</td>", dom)
    claims = [c.id for c in reproduction.load_reference()[1]]
    # each claim is a row of a table, its id in bold at the start of the first cell
    assert all(re.search(rf"<tr><td>(?:<p>)?<strong>{claim}</strong>", dom) for claim in claims), dom[:2000]
    assert {"1", "4"} <= set(rows)  # E1's table: its layers
    assert any(row.startswith("baseline") for row in rows)  # E7's table


@pytest.mark.workflow
def test_changing_a_setting_or_the_code_reruns_only_what_depends_on_it(tiny, request):
    workdir = tiny.workdir

    def planned(change):
        changed = yaml.safe_load(yaml.safe_dump(TINY))
        for section, key, value in change:
            (changed.setdefault(section, {}) if section else changed)[key] = value
        out = snakemake(workdir, "-n", "--configfile", write_config(workdir, changed, "changed.yaml")).stdout
        return dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:")[1], flags=re.M)) if "Job stats:" in out else {}

    figures = {"fig1", "fig2", "fig2_remedy", "fig2_compare", "fig3", "fig4", "fig5", "degenerate_plot", "knots_plot", "sensitivity_plot", "sensitivity_lr_plot", "sensitivity_scale_plot", "boosting_plot", "all", "total"}
    # the dpi draws every figure, the claims' forest plot too (and the report's page that carries it)
    assert set(planned([("plot", "dpi", 41)])) == figures | {"reproduction_plot", "report_text"}
    assert planned([(None, "progress_every", 3)]) == {}
    assert planned([(None, "checkpoint_seconds", 60)]) == {}  # when to save, not what is trained
    bias = planned([("minima", "bias_scale", 0.25)])
    assert set(bias) == {"minima_train", "minima_merge", "fig3", "knots_merge", "knots_plot", "reproduction", "reproduction_plot", "report_text", "all", "total"}
    assert bias["minima_train"] == "1"  # the zero-bias job does not use it
    assert set(planned([("degenerate", "report_layers", [2])])) == {"degenerate_plot", "all", "total"}
    mini = planned([("batching", "batch_size", 8)])
    assert set(mini) == {"batching_train", "batching_merge", "fig2", "fig2_remedy", "fig2_compare", "reproduction", "reproduction_plot", "report_text", "all", "total"}
    assert mini["batching_train"] == "3"  # n=40 in each variant; n=20 stays full batch
    sweep = planned([("batching", "sweep_batch_sizes", [32, 8])])  # one more batch size: its job alone
    assert sweep["batching_train"] == "1" and sweep["batching_merge"] == "1"
    eps = planned([("sensitivity", "epsilon", [1.0e-8, 1.0e-6, 1.0e-7])])
    # the report's first page holds E7's table and the reproduction table: it follows them
    e7_rules = {"sensitivity_merge": "1", "sensitivity_table": "1", "sensitivity_plot": "1", "sensitivity_lr_plot": "1", "sensitivity_scale_plot": "1", "report_text": "1"}
    assert eps == {"sensitivity_train": "2", **e7_rules, "all": "1", "total": "9"}  # E1 and E2 at depth 2
    scale = planned([("sensitivity", "loss_scale", [1.0, 0.125, 0.5])])  # a new loss scale: its two jobs alone
    assert scale == {"sensitivity_train": "2", **e7_rules, "all": "1", "total": "9"}
    more = planned([("size", "trials", 6)])  # trials_per_job 2: one new chunk per (depth, bucket of sizes)
    # the reproduction table re-reads E2's data; E7 does not depend on E2's trials (its baseline is trials 0-1)
    downstream = {"reproduction": "1", "reproduction_plot": "1", "report_text": "1"}
    assert more == {"size_train": "2", "size_merge": "1", "fig1": "1", **downstream, "all": "1", "total": "8"}
    # a new size trains in its own bucket (257-512): the bucket of 20 and 35 is not retrained
    wider = planned([("size", "sizes", [20, 35, 300])])
    assert wider == {"size_train": "4", "size_merge": "1", "fig1": "1", **downstream, "all": "1", "total": "10"}
    # E8: a new amplitude trains its own job only; the table and figure follow
    amplitude = planned([("boosting", "amplitudes", [0, 1, 2])])
    e8 = {"boosting_merge": "1", "boosting_table": "1", "boosting_plot": "1", "report_text": "1", "all": "1"}
    assert amplitude == {"boosting_train": "1", **e8, "total": "6"}
    # and editing its analysis (the table's code, which training never imports) retrains nothing
    analysis = workdir / "src/empirical_size/experiments/boosting/analysis.py"
    analysis.write_text(analysis.read_text() + "\n# edited\n")
    assert planned([]) == {"boosting_table": "1", "boosting_plot": "1", "report_text": "1", "all": "1", "total": "4"}
    analysis.write_text(analysis.read_text().removesuffix("\n# edited\n"))
    # likewise every experiment's analysis and figure modules, apart from its training, all edited at
    # once (a superset of editing any one): no training job, and not E5's merge (its job module's);
    # then every record: no training job either (a spec unchanged), only what reads one (E7's merge)
    for modules in (("analysis", "figure"), ("record",)):
        paths = [p for name in registry.EXPERIMENTS for m in modules if (p := workdir / f"src/empirical_size/experiments/{name}/{m}.py").exists()]
        assert len(paths) >= len(registry.EXPERIMENTS)
        for path in paths:
            path.write_text(path.read_text() + "\n# edited\n")
        replanned = planned([])
        assert not any(rule.endswith("_train") for rule in replanned) and "linearity_merge" not in replanned, (modules, replanned)
        assert replanned, modules
        for path in paths:
            path.write_text(path.read_text().removesuffix("\n# edited\n"))

    # the forest plot is drawn from the reproduction table alone: editing how redraws it (and the page carrying it), nothing else
    forest = workdir / "src/empirical_size/analysis/reproduction_figure.py"
    forest.write_text(forest.read_text() + "\n# edited\n")
    assert planned([]) == {"reproduction_plot": "1", "report_text": "1", "all": "1", "total": "3"}
    forest.write_text(forest.read_text().removesuffix("\n# edited\n"))

    # the code trigger: editing a module that figures import redraws figures only
    plots, engine = workdir / "src/empirical_size/analysis/plots.py", workdir / "src/empirical_size/engine/keras_trainer.py"
    request.addfinalizer(lambda: [p.write_text(p.read_text().removesuffix("\n# edited\n")) for p in (plots, engine)])
    plots.write_text(plots.read_text() + "\n# edited\n")
    assert set(planned([])) == figures  # E8's too: plots.py saves every figure
    # and editing one that training imports (derived from the imports) reruns every training job
    engine.write_text(engine.read_text() + "\n# edited\n")
    touched = planned([])
    assert {"size_train", "batching_train", "minima_train", "linearity_train", "degenerate_train", "knots_train", "boosting_train"} <= set(touched)
    # E7: five settings' E1 jobs (the reset's is E1's own), six settings' seven E2 jobs (learning_rate_0.1 also at depth 3)
    assert touched["size_train"] == "4" and touched["sensitivity_train"] == "12"
    # touching alone, content unchanged, reruns nothing (the trigger is the code's content)
    later = time.time() + 3600
    for path in (workdir / "src/empirical_size").rglob("*.py"):
        os.utime(path, (later, later))
    assert set(planned([])) == set(touched)



@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("size", "trials", -4, "trials"),
        ("size", "sizes", [], "sizes"),
        (None, "backend", "torch", "backend"),
        ("size", "trails", 8, "config key size.trails: no such key in section size; did you mean `trials`?"),
        (None, "sise", {"trials": 9}, "config key sise: no such key in the top level; did you mean `size`?"),
        ("optimizer", "epsilon", 0, "epsilon"),
        (None, "dtype", "float16", "dtype"),
        ("size", "record_every", 7, "size.epochs"),
        ("batching", "variants", ["keep", "shuffle"], "variants"),
        ("minima", "domain", [1.0, -1.0], "minima.domain"),
        ("linearity", "checkpoints", [200, 100], "linearity.checkpoints"),
        ("knots", "steps", [5, 1], "knots.steps"),
        ("linearity", "frequency_record_every", 7, "linearity.frequency_record_every"),
        ("linearity", "frequencies", [1, 1], "frequencies"),
        ("degenerate", "report_layers", [3, 30], "degenerate.report_layers"),
        ("plot", "dpi", 0, "dpi"),
        ("sensitivity", "dtype", ["float16"], "dtype"),
        ("sensitivity", "batch_size", [0], "batch_size"),
        ("sensitivity", "input_distribution", ["gaussian"], "input_distribution"),
        ("size", "input_distribution", "uniform", "input_distribution"),
    ],
)
def test_bad_config_stops_before_any_job_naming_the_key(workdir, section, key, value, message):
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    (cfg.setdefault(section, {}) if section else cfg)[key] = value
    # not a dry run: had validation let the value through, jobs would start
    proc = snakemake(workdir, "--configfile", write_config(workdir, cfg, "bad.yaml"), check=False, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert message in out
    # one line for the user (beside Snakemake's notes on the profile and config files): no schema dump, no traceback
    assert len([line for line in out.splitlines() if not line.startswith(("Using workflow specific profile", "Config file"))]) == 1, out
    assert not (workdir / "results" / "jobs").exists()


def test_paper_config_expands_to_the_full_grid(workdir):
    proc = snakemake(workdir, "results/fig1.png", "-n", "--configfile", "config/paper.yaml", timeout=300)
    out = proc.stdout
    assert re.search(r"size_train\s+30\b", out)  # 3 depths x 10 buckets of sizes (pack_width 256) x 1 chunk of 128
    everything = snakemake(workdir, "-n", "--configfile", "config/paper.yaml", timeout=300).stdout
    paper = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    # 3 variants x 3 depths x 6 buckets of mini-batch sizes with the same steps an epoch
    # (batching.pack); the full-batch points are E2's own jobs; the batch-size sweep: 2 batch sizes x 3 depths x 3 sizes
    assert re.search(r"batching_train\s+72\b", everything)
    assert re.search(r"size_train\s+30\b", everything)
    # E7: twenty settings besides the baseline (ten, three loss scales alone and at two learning rates, the reset),
    # an E1 job and an E2 job per depth each (the baseline is E1's and E2's own; the reset's E1 is E1's own)
    assert re.search(r"sensitivity_train\s+79\b", everything)
    paper = paper["size"]
    assert len(paper["sizes"]) == 100 and paper["sizes"][0] == 20 and paper["sizes"][-1] == 2500
    assert (paper["trials"], paper["epochs"], paper["record_every"]) == (128, 50000, 500)


def test_paper_cpu_configs_expand_to_the_papers_shape(workdir):
    """config/paper-cpu.yaml: E2 at the paper's largest n and epochs (every E2
    claim comparable); with config/sensitivity-cpu.yaml, E7 at that point."""
    from empirical_size.analysis import reproduction

    cpu = yaml.safe_load((ROOT / "config/paper-cpu.yaml").read_text())["size"]
    settings, claims = reproduction.load_reference()
    for claim in (c for c in claims if c.experiment == "size"):
        config = {"size": cpu, "dtype": "float32", "matmul_precision": "float32", "optimizer": settings["optimizer"]}
        assert reproduction.differences(claim, config, settings) == [], claim.id
    out = snakemake(workdir, "results/fig1.png", "-n", "--configfile", "config/paper-cpu.yaml", timeout=300).stdout
    buckets = len({e2.bucket(n, cpu["pack_width"]) for n in cpu["sizes"]})
    assert re.search(rf"size_train\s+{len(cpu['depths']) * buckets}\b", out)
    both = ("--configfile", "config/paper-cpu.yaml", "config/sensitivity-cpu.yaml")
    out = snakemake(workdir, "results/sensitivity_lr.png", "-n", *both, timeout=300).stdout
    e7_section = yaml.safe_load((ROOT / "config/sensitivity-cpu.yaml").read_text())["sensitivity"]
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    for extra in (yaml.safe_load((ROOT / "config/paper-cpu.yaml").read_text()), {"sensitivity": e7_section}):
        for section, values in extra.items():
            config[section] = {**config[section], **values} if isinstance(values, dict) else values
    jobs = e7.jobs_of(config, "size")
    assert {p for _, p in jobs} >= {e2.job(config, d, 2500, 0, e7_section["size"]["trials"] - 1) for d in (2, 3, 4)}  # E2's own
    own = sum(1 for _, p in jobs if p.startswith("results/jobs/sensitivity/"))
    assert re.search(rf"sensitivity_train\s+{own + len(e7.settings(config)) - 1}\b", out)
    for label, path in jobs:
        spec = e7.spec(config, label, path.rsplit("/", 1)[1][:-3] if "sensitivity/" in path else "size_depth" + re.search(r"depth(\d+)", path).group(1))
        assert (spec["n"], spec["epochs"]) == (2500, 50000)
    # issue 35's grid: the loss scale at three learning rates and the reset, every setting at every depth
    scale = ("--configfile", "config/paper-cpu.yaml", "config/sensitivity-scale-cpu.yaml")
    out = snakemake(workdir, "results/sensitivity_scale.png", "-n", *scale, timeout=300).stdout
    grid_config = {**config, "sensitivity": yaml.safe_load((ROOT / "config/sensitivity-scale-cpu.yaml").read_text())["sensitivity"]}
    settings = e7.settings(grid_config)
    assert len(settings) == 1 + 2 + 3 + 3 * 2 + 1  # baseline, 2 rates, 3 scales at 3 rates, the reset
    assert all(e7.depths(grid_config, label) == [2, 3, 4] for label in settings)
    assert re.search(rf"sensitivity_train\s+{len(e7.own_jobs(grid_config))}\b", out) and len(e7.own_jobs(grid_config)) == 12 * 3 + 11


def test_default_config_has_the_papers_settings_at_smaller_scale():
    default = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    paper = yaml.safe_load((ROOT / "config/paper.yaml").read_text())
    for key in ("backend", "dtype", "optimizer"):
        assert default[key] == paper[key]
    # the optimizer's settings come from config.yaml alone: one without them is refused, naming them
    from empirical_size.plan.config_check import schema_error

    bare = {**default, "optimizer": {}}
    assert "optimizer" in (schema_error(bare, ROOT / "workflow/schemas/config.schema.yaml") or "")
    assert paper["optimizer"] == {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-8}
    for key in ("depths", "width", "inputs"):
        assert default["size"][key] == paper["size"][key]
    assert default["degenerate"] == paper["degenerate"]
    assert default["linearity"] == paper["linearity"]
    for key in ("batch_size", "full_batch_below", "variants", "shuffle", "depths", "width"):
        assert default["batching"][key] == paper["batching"][key]
    for key in ("depth", "n", "batch_size", "domain", "teeth", "amplitude", "variants", "bias_scale"):
        assert default["minima"][key] == paper["minima"][key]
    for key in ("epsilon", "epsilon_learning_rates", "learning_rate", "input_distribution", "dtype", "batch_size"):
        assert default["sensitivity"][key] == paper["sensitivity"][key]
    e7_size = default["sensitivity"]["size"]
    assert sorted(e7_size["depths"] + e7_size["extra"]["depths"]) == paper["sensitivity"]["size"]["depths"]
    for section in ("size", "degenerate", "batching"):
        assert default[section]["input_distribution"] == paper[section]["input_distribution"] == "normal"


def test_lint_and_format_are_clean(workdir):
    proc = snakemake(workdir, "--lint", check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import subprocess
    import sys

    fmt = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"], cwd=workdir, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.workflow
def test_snakemake_killed_mid_job_recovers_as_the_readme_says(workdir, tmp_path):
    """SIGKILL to Snakemake and its jobs (the OOM killer, a reboot) in the
    middle of a training job; the next run stops at the stale lock; the
    README's recovery (``snakemake --unlock``, then the same command)
    finishes with the numbers of an uninterrupted run."""
    import shutil
    import signal
    import subprocess
    import sys

    from empirical_size.analysis.compare import differences
    from empirical_size.training.checkpoint import STOP_AFTER_CHECKPOINT

    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    # one job, which stops itself at its first checkpoint (500 of 2,000 epochs): caught mid-way on any CPU
    cfg["size"].update(depths=[2], epochs=2000, record_every=500, trials_per_job=4)
    target = ("results/data/size.nc", "--configfile", write_config(workdir, cfg))
    clean = tmp_path / "uninterrupted"
    shutil.copytree(workdir, clean)
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1", *target], cwd=workdir, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, STOP_AFTER_CHECKPOINT: "1"},
    )  # fmt: skip
    checkpoints = workdir / "results/checkpoints/size"
    deadline = time.time() + 300
    while not list(checkpoints.rglob("*.npz")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    alive = proc.poll() is None
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also when the wait failed: nothing is left behind
    except ProcessLookupError:
        pass
    proc.wait()
    assert alive and list(checkpoints.rglob("*.npz")), "the job ended before it could be killed"
    stuck = snakemake(workdir, *target, check=False)
    assert stuck.returncode != 0 and "cannot be locked" in stuck.stdout + stuck.stderr
    readme = (ROOT / "README.md").read_text()
    assert "snakemake --unlock" in readme and "cannot be locked" in readme
    snakemake(workdir, "--unlock", *target[1:])
    snakemake(workdir, *target)
    snakemake(clean, *target)
    assert not [d for d in differences(xr.load_dataset(workdir / target[0]), xr.load_dataset(clean / target[0])) if "attribute" not in d]
