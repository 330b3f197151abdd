"""The reproduction table and the E7 sensitivity study, on synthetic data
sets: verdicts follow the numbers and the settings, never a stored result."""

import json

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT

from empirical_size.analysis import claims, reproduction
from empirical_size.experiments.degenerate import record as e1
from empirical_size.experiments.linearity import claims as linearity_claims
from empirical_size.experiments.sensitivity import analysis as sensitivity
from empirical_size.experiments.sensitivity import figure as sensitivity_figure
from empirical_size.experiments.sensitivity import record as e7
from empirical_size.experiments.size import claims as size_claims
from empirical_size.experiments.size import record as e2
from empirical_size.plan import registry
from empirical_size.training.storage import write_atomic

PAPER_SETTINGS, CLAIMS = reproduction.load_reference()
E1 = {c.args["layer"]: c for c in CLAIMS if c.measure == "dead_fraction"}


def degenerate_set(fractions: dict[int, float], trials=10, width=64, depth=20, **config_changes):
    """An E1 data set whose trained-on-data fractions are ``fractions`` per
    layer (every trial alike, so the standard error is 0)."""
    dead = np.zeros((2, 2, trials, depth), dtype=np.int64)
    for layer, frac in fractions.items():
        dead[1, 0, :, layer - 1] = round(frac * width)
    section = {"depth": depth, "width": width, "inputs": 3, "n": 1000, "steps": 5, "trials": trials}
    config = {"degenerate": section, "dtype": PAPER_SETTINGS["dtype"], "optimizer": dict(PAPER_SETTINGS["optimizer"]), "seed": 0}
    for key, value in config_changes.items():
        target = config["optimizer"] if key in config["optimizer"] else section if key in section else config
        target[key] = value
    return xr.Dataset(
        {"dead": (("stage", "sample", "trial", "layer"), dead)},
        coords={"stage": ["init", "trained"], "sample": ["data", "fresh"], "trial": np.arange(trials), "layer": np.arange(1, depth + 1)},
        attrs={"width": width, "config": json.dumps(config), "experiment": "degenerate"},
    )


def row(frame, claim_id):
    return frame.set_index("claim").loc[claim_id]


def test_the_reference_file_is_complete_and_each_claim_has_an_interval():
    assert {c.experiment for c in CLAIMS} == {"degenerate", "size", "batching", "minima", "linearity", "knots"}
    assert sorted(E1) == [3, 10, 20]
    for c in CLAIMS:
        assert c.low < c.high and c.source and c.measure in claims.measures()
        if c.value is not None:
            assert c.low < c.value < c.high


def test_e1_verdict_follows_the_numbers():
    inside = {layer: c.value for layer, c in E1.items()}
    far = {layer: min(1.0, c.high + 0.2) for layer, c in E1.items()}
    good = reproduction.table({"degenerate": ("e1.nc", degenerate_set(inside))})
    bad = reproduction.table({"degenerate": ("e1.nc", degenerate_set(far))})
    for c in E1.values():
        assert row(good, c.id).verdict == reproduction.REPRODUCED
        assert row(bad, c.id).verdict == reproduction.CONTRADICTED
        assert row(good, c.id).ours == pytest.approx(round(c.value * 64) / 64)
        assert row(good, c.id).trials == 10 and row(good, c.id).data == "e1.nc"
        assert row(good, c.id).rests_on == "10 trials; n = 1000; 5 steps"


def test_standard_error_widens_what_counts_as_reproduced():
    c = E1[20]
    ds = degenerate_set({20: c.high + 0.05})
    assert row(reproduction.table({"degenerate": ("x", ds)}), c.id).verdict == reproduction.CONTRADICTED
    # half the trials far below, half far above: same mean region, large error
    ds.dead[1, 0, :5, 19] = 0
    ds.dead[1, 0, 5:, 19] = 64
    r = row(reproduction.table({"degenerate": ("x", ds)}), c.id)
    assert r.ours == pytest.approx(0.5) and r.ours_se > 0.1
    assert r.verdict == reproduction.REPRODUCED  # 0.5 - 2 s.e. reaches the paper's interval


@pytest.mark.parametrize(
    "change, named",
    [({"depth": 21}, "degenerate.depth"), ({"epsilon": 1e-7}, "optimizer.epsilon"), ({"dtype": "float64"}, "dtype")],
)
def test_other_settings_are_not_comparable_and_named(change, named):
    fractions = {layer: c.value for layer, c in E1.items()}
    ds = degenerate_set(fractions, **{k: v for k, v in change.items() if k != "depth"}, depth=change.get("depth", 20))
    r = row(reproduction.table({"degenerate": ("x", ds)}), E1[3].id)
    assert r.verdict == reproduction.NOT_COMPARABLE and named in r.why


def test_missing_data_set_is_not_comparable():
    frame = reproduction.table({})
    assert (frame.verdict == reproduction.NOT_COMPARABLE).all() and len(frame) == len(CLAIMS)


def size_set(sizes=(20, 2500), epochs=50000, diverge_last=False):
    depths, trials, ep = (2, 3, 4), 4, [25000, 50000]
    rng = np.random.default_rng(0)
    size = rng.uniform(0, 100, (3, len(sizes), trials, 2))
    size[2, -1, :, 0] = [600.0, 610.0, 590.0, 600.0]  # depth 4's largest mean: 600 at n=2500, epoch 25000
    sum_y2 = np.broadcast_to(np.asarray(sizes, float)[None, :, None], (3, len(sizes), trials)).copy()
    diverged = np.zeros((3, len(sizes), trials), dtype=np.int8)
    if diverge_last:
        size[2, -1, 3, 0] = 1e6
        diverged[2, -1, 3] = 1
    section = {"depths": list(depths), "width": 64, "inputs": 3, "sizes": list(sizes), "epochs": epochs}
    config = {"size": section, "dtype": "float32", "optimizer": dict(PAPER_SETTINGS["optimizer"])}
    return xr.Dataset(
        {
            "size": (("depth", "n", "trial", "epoch"), size),
            "mse": (("depth", "n", "trial", "epoch"), np.ones_like(size)),
            "sum_y2": (("depth", "n", "trial"), sum_y2),
            "diverged": (("depth", "n", "trial"), diverged),
        },
        coords={"depth": list(depths), "n": list(sizes), "trial": np.arange(trials), "epoch": ep},
        attrs={"config": json.dumps(config)},
    )


def test_e2_measures_on_a_hand_built_map():
    ds = size_set()
    e = size_claims.max_mean_size(ds, depth=4)
    assert e.value == pytest.approx(600.0) and e.se == pytest.approx(np.std([600, 610, 590, 600], ddof=1) / 2)
    assert size_claims.perfect_fit_size(ds).value == pytest.approx(2500)
    last = ds.size.sel(n=2500).isel(epoch=-1) / 2500
    assert size_claims.fitted_fraction(ds).value == pytest.approx(float(last.mean("trial").max()))
    # of the depths, the one whose interval reaches highest: here a wide one with the lower mean
    wide = ds.copy(deep=True)
    top = int(last.mean("trial").argmax("depth"))
    other = (top + 1) % 3
    spread = float(last.isel(depth=top).mean()) * np.array([0.1, 0.2, 1.5, 1.9]) * 2500
    wide["size"][other, -1, :, -1] = spread[: wide.sizes["trial"]]
    picked = size_claims.fitted_fraction(wide)
    assert picked.value == pytest.approx(spread[: wide.sizes["trial"]].mean() / 2500)
    assert picked.value < float(last.isel(depth=top).mean())
    # a diverged trial is left out, as in the figures
    assert size_claims.max_mean_size(size_set(diverge_last=True), depth=4).value == pytest.approx(600.0)
    frame = reproduction.table({"size": ("size.nc", size_set(diverge_last=True))})
    assert row(frame, "E2_max_size_depth4").rests_on == "3 trials; sizes 20, 2500; 50000 epochs"  # the diverged one left out


def test_e2_is_not_comparable_on_a_scaled_down_grid():
    small = reproduction.table({"size": ("s.nc", size_set(sizes=(20, 500), epochs=2000))})
    for r in small.itertuples():
        if r.claim.startswith("E2"):
            assert r.verdict == reproduction.NOT_COMPARABLE
            assert "size.epochs = 2000" in r.why and "size.max(sizes) = 500" in r.why


def test_range_claims_from_a_custom_reference(tmp_path):
    ref = yaml.safe_load(reproduction.REFERENCE.read_text())
    ref["claims"] = [c for c in ref["claims"] if c["measure"] == "fitted_fraction"]
    path = tmp_path / "ref.yaml"
    ds = size_set()
    ours = size_claims.fitted_fraction(ds)
    for low, high, expected in ((0.0, ours.value + 0.01, reproduction.REPRODUCED), (ours.value + 10 * ours.se + 0.1, 5.0, reproduction.CONTRADICTED)):
        ref["claims"][0]["range"] = [low, high]
        path.write_text(yaml.safe_dump(ref))
        assert reproduction.table({"size": ("s", ds)}, reference=path).verdict.tolist() == [expected]


def test_noise_rate_ratio_is_the_mse_ratio_of_diff_to_pure():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(6)
    out = np.zeros((3, 2, 1, 6))  # set, trial, epoch, sample
    out[2] = noise + 0.5  # pure: off by 0.5, MSE 0.25
    out[0] = noise + 1.0  # X+N
    out[1] = 0.0  # X: diff = X+N - mean(X) = noise + 1, MSE 1
    ds = xr.Dataset(
        {"output_data": (("set", "trial", "epoch", "sample"), out), "noise": (("sample",), noise)},
        coords={"set": ["X+N", "X", "N"], "trial": [0, 1], "epoch": [100]},
        attrs={"mse_epochs": [100]},
    )
    e = linearity_claims.noise_rate_ratio(ds)
    assert e.value == pytest.approx(4.0) and e.trials == 2 and e.method == claims.PAIRED_T
    # over training: at a later point diff and pure agree (ratio 1); the geometric mean of 4 and 1 is 2
    later = out.copy()
    later[2] = noise + 1.0  # pure as far off as diff
    both = xr.Dataset(
        {"output_data": (("set", "trial", "epoch", "sample"), np.concatenate([out, later], axis=2)), "noise": (("sample",), noise)},
        coords={"set": ["X+N", "X", "N"], "trial": [0, 1], "epoch": [100, 200]},
        attrs={"mse_epochs": [100, 200]},
    )
    assert linearity_claims.noise_rate_ratio(both).value == pytest.approx(1.0)  # the last point alone
    assert linearity_claims.noise_rate_ratio(both, over="all").value == pytest.approx(2.0)


# -- E7 ------------------------------------------------------------------------
def config(**sens):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["sensitivity"].update(sens)
    return cfg


def test_sensitivity_settings_change_one_knob_each_and_skip_the_baseline():
    cfg = config()
    settings = e7.settings(cfg)
    assert settings["baseline"] == {}
    assert all(len(k) == 1 for label, k in settings.items() if label != "baseline")
    assert "epsilon_1e-08" not in settings and settings["epsilon_1e-07"] == {"epsilon": 1e-7}
    assert settings["input_distribution_uniform_positive"] == {"input_distribution": "uniform_positive"}
    rates = [f"learning_rate_{r:g}" for r in cfg["sensitivity"]["learning_rate"] if r != cfg["optimizer"]["learning_rate"]]
    assert [k for k in settings if k.startswith("learning_rate")] == rates
    depth = cfg["sensitivity"]["size"]["depths"][0]
    part = f"size_depth{depth}"
    base = e7.spec(cfg, "baseline", part)
    for label, knobs in settings.items():
        spec = e7.spec(cfg, label, part)
        changed = {k for k in set(spec) | set(base) if spec.get(k) != base.get(k)}
        changed |= {f"optimizer.{k}" for k in spec["optimizer"] if spec["optimizer"][k] != base["optimizer"].get(k)}
        assert len(changed - {"optimizer"}) == len(knobs)
        e1_spec = e7.spec(cfg, label, "degenerate")
        seen = {k: v for k, v in knobs.items() if k not in e7.E2_ONLY}
        assert all(e1_spec.get(k, e1_spec["optimizer"].get(e7.OPTIMIZER_KNOBS.get(k, k))) == v for k, v in seen.items())
        if not seen:  # a knob E1 does not see: E1 as the baseline's
            assert e1_spec == e1.spec(cfg)
    # the baseline is E1's and E2's own job: same spec, same file
    assert e7.spec(cfg, "baseline", "degenerate") == e1.spec(cfg)
    p = cfg["sensitivity"]["size"]
    assert e7.job(cfg, "baseline", part) == e2.job(cfg, depth, p["n"], 0, p["trials"] - 1)
    assert e7.spec(cfg, "baseline", part) == e2.spec(cfg, depth, p["n"], 0, p["trials"] - 1)
    cfg["sensitivity"]["size"]["n"] = 123  # not on E2's grid: its own job
    assert e7.job(cfg, "baseline", part) == f"results/jobs/sensitivity/baseline/{part}.nc"
    with pytest.raises(registry.ConfigError, match="settings and their parts"):
        e7.spec(cfg, "epsilon_1e-09", part)


def test_sensitivity_depths_and_extra_settings_expand_into_their_jobs():
    cfg = config(
        learning_rate=[1.0, 0.5, 0.1], epsilon=[1e-8, 1e-6], epsilon_learning_rates=[0.1],
        input_distribution=["normal"], dtype=["float32"], batch_size=[None], loss_scale=[1.0], optimizer_reset=[False],
    )
    cfg["sensitivity"]["size"] = {"depths": [2], "n": 2500, "trials": 8, "extra": {"depths": [3, 4], "settings": ["baseline", "learning_rate_0.5"]}}
    settings = e7.settings(cfg)
    # epsilon 1e-8 at learning rate 0.1 is the learning-rate setting itself
    assert list(settings) == ["baseline", "epsilon_1e-06", "learning_rate_0.5", "learning_rate_0.1", "epsilon_1e-06_learning_rate_0.1"]
    assert settings["epsilon_1e-06_learning_rate_0.1"] == {"epsilon": 1e-6, "learning_rate": 0.1}
    jobs = e7.jobs_of(cfg, "size")
    depths = {label: [int(path.rsplit("depth", 1)[1][0]) for lab, path in jobs if lab == label] for label in settings}
    assert depths == {"baseline": [2, 3, 4], "epsilon_1e-06": [2], "learning_rate_0.5": [2, 3, 4], "learning_rate_0.1": [2], "epsilon_1e-06_learning_rate_0.1": [2]}
    assert len(e7.jobs_of(cfg, "degenerate")) == len(settings)
    spec = e7.spec(cfg, "learning_rate_0.5", "size_depth4")
    assert (spec["depth"], spec["n"], spec["epochs"], spec["optimizer"]["learning_rate"]) == (4, 2500, cfg["size"]["epochs"], 0.5)
    with pytest.raises(registry.ConfigError, match="learning_rate_0.1"):
        e7.spec(cfg, "learning_rate_0.1", "size_depth3")  # depth 2 only
    cfg["optimizer"]["learning_rate"] = 0.5  # learning_rate_0.5 is now the baseline itself: extra names it
    assert e7.depths(cfg, "baseline") == [2, 3, 4] and "learning_rate_1" in e7.settings(cfg)
    cfg["optimizer"]["learning_rate"] = 1.0
    cfg["sensitivity"]["learning_rate"] = [0.1, 0.1000001]
    with pytest.raises(registry.ConfigError, match=r"sensitivity\.learning_rate has values that print alike"):
        registry.check(cfg)
    cfg["sensitivity"]["learning_rate"] = [1.0, 0.5, 0.1]
    cfg["degenerate"]["input_distribution"] = "uniform_positive"
    with pytest.raises(registry.ConfigError, match=r"degenerate\.input_distribution and size\.input_distribution differ"):
        registry.check(cfg)
    cfg["degenerate"]["input_distribution"] = "normal"
    cfg["sensitivity"]["size"]["extra"]["settings"] = ["learning_rate_05"]
    with pytest.raises(registry.ConfigError, match=r"sensitivity\.size\.extra\.settings.*did you mean 'learning_rate_0.5'"):
        registry.check(cfg)


def test_a_float64_run_makes_float32_the_varied_precision():
    cfg = config()
    cfg["dtype"] = "float64"
    settings = e7.settings(cfg)
    assert "dtype_float32" in settings and "dtype_float64" not in settings


def fake_jobs(tmp_path, labels, depths=(4,)):
    """E1 and E2 job files: the first setting at every depth, the rest at
    the first depth; sizes (10, 12) then (5, 7) times k, plus the depth."""
    e1, e2 = {}, []
    for k, label in enumerate(labels, start=1):
        d = degenerate_set({20: 0.1 * k}, depth=20, trials=3)
        e1[label] = str(write_atomic(d.drop_attrs().assign_attrs(width=64), tmp_path / f"{label}_e1.nc"))
        for depth in depths if k == 1 else depths[:1]:
            f = xr.Dataset(
                {
                    "size": (("trial", "epoch"), np.array([[10.0, 5.0], [12.0, 7.0]]) * k + depth),
                    "mse": (("trial", "epoch"), np.ones((2, 2))),
                    "sum_y2": (("trial",), np.full(2, 50.0)),
                    "diverged": (("trial",), np.zeros(2, dtype=np.int8)),
                    "steps_per_epoch": ((), 1),
                },
                coords={"trial": [0, 1], "epoch": [10, 20], "depth": depth, "n": 50},
            )
            e2.append((label, str(write_atomic(f, tmp_path / f"{label}_e2_{depth}.nc"))))
    return e1, e2


def test_sensitivity_merge_keeps_the_order_and_summarises(tmp_path):
    labels = ["baseline", "learning_rate_0.1", "dtype_float64"]
    settings = {"baseline": {}, "learning_rate_0.1": {"learning_rate": 0.1}, "dtype_float64": {"dtype": "float64"}}
    e1, e2 = fake_jobs(tmp_path, labels, depths=(2, 4))
    ds = sensitivity.merge(e1, e2, settings, baseline={"learning_rate": 1.0, "dtype": "float32"})
    assert ds.setting.values.tolist() == labels and ds.knob.values.tolist() == ["", "learning_rate", "dtype"]
    assert ds.learning_rate.values.tolist() == [1.0, 0.1, 1.0] and ds.dtype.values.tolist() == ["float32", "float32", "float64"]
    assert ds.trained.sel(depth=4).values.tolist() == [True, False, False] and ds.trained.sel(depth=2).all()
    back = xr.load_dataset(write_atomic(ds, tmp_path / "sensitivity.nc"))  # untrained cells survive the file
    untrained = back.sel(depth=4, setting="dtype_float64")
    assert not untrained.trained and untrained.diverged.values.tolist() == [0, 0] and untrained["size"].isnull().all()
    assert back.steps_per_epoch.sel(depth=4).values.tolist() == [1, 0, 0]
    ds.attrs["config"] = json.dumps(config())  # the default run's: E1 at the paper's scale, E2 not
    t = sensitivity.summarise(ds)
    assert (t.paper_largest_ratio == np.inf).all()  # none dead at the paper's layers 3 and 10 (5%, 20%)
    ks = np.array([1, 2, 3])
    np.testing.assert_allclose(t["e1_dead_layer20_data"], np.round(0.1 * ks * 64) / 64)
    np.testing.assert_allclose(t["e2_depth2_size"], 6 * ks + 2)  # last epoch
    np.testing.assert_allclose(t["e2_depth2_largest_mean_size"], 11 * ks + 2)  # epoch 10
    np.testing.assert_allclose(t["e2_depth2_largest_mean_size_se"], ks * 1.0)
    assert t["e2_depth4_size"].tolist()[0] == 10 and t["e2_depth4_size"].isna().tolist() == [False, True, True]
    fig = sensitivity_figure.sensitivity_figure(ds, paper_band=(0.2, 0.3), dpi=40)
    assert [tick.get_text() for tick in fig.axes[0].get_xticklabels()] == ["baseline", "learning_rate=0.1", "dtype=float64"]
    fig = sensitivity_figure.learning_rate_figure(ds, e2_bands={2: (300, 400)}, e1_band=(0.25, 0.35), dpi=40)
    left = fig.axes[0]
    assert "learning rate" in left.get_xlabel() and left.get_xscale() == "log"
    assert {t.get_text() for t in left.get_legend().get_texts()} == {"depth 2", "paper, depth 2", "depth 4"}
    # the depth-2 line joins learning rates 0.1 and 1.0; dtype's setting is not on it
    x, y = left.get_lines()[0].get_data()
    assert list(x) == [0.1, 1.0] and list(y) == [24.0, 13.0]
    with pytest.raises(ValueError, match="dtype_float64"):
        sensitivity.merge({k: e1[k] for k in labels[:2]}, e2, settings)


def e7_paper_like_config() -> dict:
    """An E7 run's config at the paper's E1 and E2 settings (E2's n is the data set's e2_n)."""
    return {
        "degenerate": {"depth": 20, "width": 64, "inputs": 3, "n": 1000, "steps": 5},
        "size": {"width": 64, "inputs": 3, "epochs": 50000},
        "dtype": "float32", "matmul_precision": "float32", "optimizer": dict(PAPER_SETTINGS["optimizer"]),
    }  # fmt: skip


def test_e7_distance_to_the_paper_is_the_largest_ratio_over_its_six_numbers(tmp_path):
    """Held to the paper (its settings recorded), each setting's distance is
    the largest ours / paper or paper / ours over E1's layers and E2's
    depths; at other settings there is none."""
    labels = ["baseline", "learning_rate_0.1"]
    settings = {"baseline": {}, "learning_rate_0.1": {"learning_rate": 0.1}}
    e1, e2 = fake_jobs(tmp_path, labels, depths=(2,))
    fractions = {1: {3: 0.05, 10: 0.2, 20: 0.3}, 2: {3: 0.1, 10: 0.2, 20: 0.6}}  # the baseline at the paper's E1
    for k, label in enumerate(labels, start=1):
        d = degenerate_set(fractions[k], depth=20, trials=3)
        e1[label] = str(write_atomic(d.drop_attrs().assign_attrs(width=64), tmp_path / f"{label}_e1.nc"))
    ds = sensitivity.merge(e1, e2, settings, baseline={"learning_rate": 1.0})
    paper_like = e7_paper_like_config()
    ds.attrs.update(config=json.dumps(paper_like), e2_n=2500)
    table = sensitivity.summarise(ds)
    # E1 in 64ths of a layer against 0.05, 0.20, 0.30; E2 depth 2: 11 k + 2 against 370 (the fake jobs' largest mean)
    def ratio(ours, paper):
        return max(ours / paper, paper / ours)

    def e1(k):
        return [ratio(round(f * 64) / 64, p) for f, p in zip(fractions[k].values(), (0.05, 0.2, 0.3))]

    want = [max(*e1(k), ratio(11 * k + 2, 370)) for k in (1, 2)]
    np.testing.assert_allclose(table.paper_largest_ratio, want)
    assert want[0] == pytest.approx(370 / 13)  # E2 is the farthest; the baseline's E1 is near the paper
    assert table.paper_all_within.tolist() == [0, 0]
    ds.attrs["config"] = json.dumps({**paper_like, "size": {**paper_like["size"], "epochs": 2000}})
    held = sensitivity.summarise(ds)  # E2 at other epochs: E1's layers alone
    np.testing.assert_allclose(held.paper_largest_ratio, [max(e1(k)) for k in (1, 2)])
    assert held.paper_all_within.tolist()[0] == 1  # every E1 layer inside the paper's interval
    # the loss-scale figure rings and names the nearest setting, and says nothing where none is held to the paper
    ds.attrs["config"] = json.dumps(paper_like)
    ds = ds.assign_coords(loss_scale=("setting", [1.0, 1.0]))
    assert sensitivity_figure.closest_to_paper(ds) == ([1], pytest.approx(want[1]), False, 4)  # E1's three layers, E2's depth 2


def test_e7_loss_scale_figure_rings_and_names_the_drawn_setting_nearest_the_paper(tmp_path):
    """Three settings on one line of loss scales: the third's E2 is the
    nearest the paper but its E1 the farthest, so the second is named; a
    setting the figure does not draw is never named; a run held to none of
    the paper's numbers names none."""
    labels = ["baseline", "loss_scale_0.5", "loss_scale_0.25"]
    settings = {"baseline": {}, "loss_scale_0.5": {"loss_scale": 0.5}, "loss_scale_0.25": {"loss_scale": 0.25}}
    e1, e2 = fake_jobs(tmp_path, labels, depths=(2,))
    fractions = {1: {3: 0.05, 10: 0.2, 20: 0.3}, 2: {3: 0.05, 10: 0.2, 20: 0.6}, 3: {3: 0.9, 10: 0.2, 20: 0.3}}
    for k, label in enumerate(labels, start=1):
        e1[label] = str(write_atomic(degenerate_set(fractions[k], depth=20, trials=3).drop_attrs().assign_attrs(width=64), tmp_path / f"{label}_e1.nc"))
    ds = sensitivity.merge(e1, e2, settings, baseline={"learning_rate": 1.0, "loss_scale": 1.0})
    paper_like = e7_paper_like_config()
    ds.attrs.update(config=json.dumps(paper_like), e2_n=2500)
    # E2 depth 2 at 11 k + 2: 13, 24, 35 against 370; E1 layer 3 of the third at 0.9 against 0.05 (18 times)
    ratio, _ = sensitivity.paper_distance(ds)
    assert ratio[2] > ratio[1] and 370 / 35 < 370 / 24 < ratio[2]
    assert sensitivity_figure.closest_to_paper(ds)[:2] == ([1], pytest.approx(ratio[1]))
    fig = sensitivity_figure.loss_scale_figure(ds, dpi=40)
    assert "closest to the 4 numbers of the paper this run is held to: loss_scale=0.5 (largest ratio" in fig._suptitle.get_text()
    rings = [line for line in fig.axes[0].get_lines() if line.get_label() == "closest to the paper"]
    assert [tuple(np.ravel(r.get_data())) for r in rings] == [(0.5, 24.0)]  # the second setting, E2 depth 2
    off_the_figure = ds.assign_coords(knob=("setting", ["", "epsilon", "loss_scale"]))  # the nearest drawn neither on a line nor as a reset
    assert sensitivity_figure.closest_to_paper(off_the_figure)[0] == [1]
    assert "held to: loss_scale=0.25 (largest ratio" in sensitivity_figure.loss_scale_figure(off_the_figure, dpi=40)._suptitle.get_text()
    ds.attrs["config"] = json.dumps({**paper_like, "size": {**paper_like["size"], "width": 32}, "degenerate": {**paper_like["degenerate"], "width": 32}})
    assert sensitivity_figure.closest_to_paper(ds) is None
    assert "closest" not in sensitivity_figure.loss_scale_figure(ds, dpi=40)._suptitle.get_text()


def test_the_report_page_renders_every_claim_without_markup_warnings():
    """The claims' words hold ``|x|`` and ``N*K``: reStructuredText would
    read them as a substitution and emphasis, and docutils would warn."""
    import io

    from docutils.core import publish_string

    from empirical_size.analysis import report

    frame = reproduction.table({})
    frame.loc[0, "statement"] = "error at |x| < 1/2 before N*K_ pieces `here`"
    warnings = io.StringIO()
    html = publish_string(report.landing("Intro\n", {"reproduction": frame}), writer="html", settings_overrides={"warning_stream": warnings, "report_level": 1}).decode()
    assert warnings.getvalue() == "", warnings.getvalue()
    assert "error at |x| &lt; 1/2 before N*K_ pieces `here`" in html
    assert all(f"<strong>{c.id}</strong>" in html for c in CLAIMS)


def test_the_report_states_the_family_and_what_holm_would_change():
    """Four rows, one of each verdict; the contradicted one rests on a
    rejection Holm's correction does not keep."""
    import io

    from docutils.core import publish_string

    from empirical_size.analysis import report

    frame = reproduction.table({}).head(4).copy()
    frame["verdict"] = [reproduction.REPRODUCED, reproduction.CONTRADICTED, reproduction.INCONCLUSIVE, reproduction.NOT_COMPARABLE]
    frame["holm_verdict"] = [reproduction.REPRODUCED, reproduction.INCONCLUSIVE, reproduction.INCONCLUSIVE, reproduction.NOT_COMPARABLE]
    frame["trials_to_settle"] = [np.nan, np.nan, 23, np.nan]
    frame["ours"], frame["ours_low"], frame["ours_high"] = 0.5, 0.25, 0.75
    text = report.family(frame)
    assert text.startswith("4 claims, 3 compared with this run: 1 reproduced, 1 contradicted, 1 inconclusive, 1 not comparable.")
    assert report.literal(f"would change 1: {frame.claim[1]} (contradicted -> inconclusive)") in text  # escaped for the page
    warnings = io.StringIO()
    html = publish_string(report.landing("Intro\n", {"reproduction": frame}), writer="html", settings_overrides={"warning_stream": warnings, "report_level": 1}).decode()
    assert warnings.getvalue() == "", warnings.getvalue()
    assert "(about 23 trials would settle it)" in html and "under Holm: inconclusive" in html and "[0.25, 0.75]" in html
    assert f"would change 1: {frame.claim[1]} (contradicted -&gt; inconclusive)" in html
    frame["holm_verdict"] = frame["verdict"]
    assert "Every verdict stands under Holm's correction across the 3 compared claims." in report.family(frame)


def test_the_first_page_carries_the_forest_plot_above_the_table(tmp_path):
    """The figure is embedded in the page (a data URI over many short
    lines: docutils refuses a line over 10,000 characters), before the table."""
    import io

    from docutils.core import publish_string

    from empirical_size.analysis import report, reproduction_figure

    frame = reproduction.table({})
    frame.to_csv(tmp_path / "r.csv", index=False)
    reproduction_figure.draw(tmp_path / "r.csv", tmp_path / "r.png", dpi=40)
    text = report.landing("Intro\n", {"reproduction": frame}, tmp_path / "r.png")
    assert max(len(line) for line in text.splitlines()) < 10_000
    warnings = io.StringIO()
    html = publish_string(text, writer="html", settings_overrides={"warning_stream": warnings, "report_level": 1}).decode()
    assert warnings.getvalue() == "", warnings.getvalue()
    start = html.index('src="data:image/png;base64,')
    assert start < html.index("<strong>E1_dead_layer3</strong>") and " " not in html[start : html.index('"', start + 5)]


def test_holm_runs_across_the_compared_claims_of_a_table():
    """Only E1's three layers are compared (the other data sets are
    missing): layer 20 far from the paper is contradicted and stays so
    across that family; the rest are not comparable, and stay so."""
    ds = degenerate_set({3: E1[3].value, 10: E1[10].value, 20: E1[20].high + 0.2})
    frame = reproduction.table({"degenerate": ("x", ds)}).set_index("claim")
    compared = frame[frame.verdict != reproduction.NOT_COMPARABLE]
    assert sorted(compared.index) == sorted(c.id for c in E1.values())
    assert frame.loc[E1[20].id, "verdict"] == reproduction.CONTRADICTED and frame.loc[E1[20].id, "p_value"] < 0.05 / 3
    assert (frame.holm_verdict == frame.verdict).all()
    assert np.isnan(frame.loc[E1[3].id, "p_value"])  # meeting a stated number rejects nothing


def test_the_forest_plot_draws_each_claim_as_the_table_says():
    """A constructed table with one claim of each verdict (and a post-hoc
    reading, an open-ended one and a ratio): one row per claim, its band
    where the reading is, our point in its verdict's colour, a reason in a
    word where it is not comparable. Read back from the drawing's artists."""
    import matplotlib.colors

    from empirical_size.analysis import reproduction_figure as rf

    frame = reproduction.table({}).head(5).copy()
    frame["verdict"] = [reproduction.REPRODUCED, reproduction.CONTRADICTED, reproduction.INCONCLUSIVE, reproduction.NOT_COMPARABLE, reproduction.NOT_COMPARABLE]
    frame["ours"], frame["ours_low"], frame["ours_high"] = [0.05, 0.45, 0.3, 0.2, np.nan], [0.03, 0.4, 0.25, 0.1, np.nan], [0.07, 0.5, 0.35, 0.3, np.nan]
    frame["paper_low"], frame["paper_high"] = [0.025, 0.175, 0.275, 0.0, 333.0], [0.075, 0.225, np.inf, 1.0, 407.0]
    frame["reading"] = ["fixed before the run"] * 4 + ["post hoc, beside E1_dead_layer3"]
    frame["log_scale"] = [False, False, True, False, False]
    frame["why"] = ["", "", "", "this design cannot answer it: a rate", "no size data set in this run"]
    fig = rf.forest(frame)
    rows = {ax.get_label(): ax for ax in fig.axes if ax.get_label() in set(frame.claim)}
    assert list(rows) == frame.claim.tolist()  # one row per claim, in the table's order
    for r in frame.itertuples():
        ax = rows[r.claim]
        band = [p for p in ax.patches if p.get_gid() == "reading"]
        assert len(band) == 1
        x0, x1 = band[0].get_x(), band[0].get_x() + band[0].get_width()
        assert x0 == pytest.approx(r.paper_low) and x1 == pytest.approx(min(r.paper_high, ax.get_xlim()[1]))
        assert (band[0].get_hatch() == "//") == r.reading.startswith("post hoc")
        points = [line for line in ax.lines if line.get_gid() == "ours" and line.get_marker() != "|"]  # not the caps
        if np.isfinite(r.ours):
            assert len(points) == 1 and matplotlib.colors.to_hex(points[0].get_color()) == rf.COLOURS[r.verdict].lower(), r.claim
            assert points[0].get_xdata()[0] == pytest.approx(r.ours)
            bars = [c for c in ax.collections if c.get_gid() == "ours"][0].get_segments()[0]  # the interval
            assert (bars[0][0], bars[1][0]) == (pytest.approx(r.ours_low), pytest.approx(r.ours_high))
        else:
            assert not points  # nothing measured: no point, a reason instead
    assert rows[frame.claim[2]].get_xscale() == "log"  # a ratio on its logs
    assert any(a.get_gid() == "open end" for a in rows[frame.claim[2]].texts)  # [0.275, inf): an arrow
    words = [t.get_text() for t in fig.findobj(lambda o: getattr(o, "get_gid", lambda: None)() == "why")]
    assert words == ["unanswerable here", "no data"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert set(rf.COLOURS) <= set(legend)
