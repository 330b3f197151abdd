"""The reproduction table and the E7 sensitivity study, on synthetic data
sets: verdicts follow the numbers and the settings, never a stored result."""

import json

import numpy as np
import pytest
import xarray as xr
import yaml
from conftest import ROOT

from empirical_size import grid, plots, reproduction, sensitivity
from empirical_size.storage import write_atomic

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
    assert {c.experiment for c in CLAIMS} == {"degenerate", "size", "linearity"}
    assert sorted(E1) == [3, 10, 20]
    for c in CLAIMS:
        assert c.low < c.high and c.source and c.measure in reproduction.MEASURES
        if c.value is not None:
            assert c.low < c.value < c.high


def test_e1_verdict_follows_the_numbers():
    inside = {layer: c.value for layer, c in E1.items()}
    far = {layer: min(1.0, c.high + 0.2) for layer, c in E1.items()}
    good = reproduction.table({"degenerate": ("e1.nc", degenerate_set(inside))})
    bad = reproduction.table({"degenerate": ("e1.nc", degenerate_set(far))})
    for c in E1.values():
        assert row(good, c.id).verdict == reproduction.REPRODUCED
        assert row(bad, c.id).verdict == reproduction.NOT_REPRODUCED
        assert row(good, c.id).ours == pytest.approx(round(c.value * 64) / 64)
        assert row(good, c.id).trials == 10 and row(good, c.id).data == "e1.nc"


def test_standard_error_widens_what_counts_as_reproduced():
    c = E1[20]
    ds = degenerate_set({20: c.high + 0.05})
    assert row(reproduction.table({"degenerate": ("x", ds)}), c.id).verdict == reproduction.NOT_REPRODUCED
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
    e = reproduction.max_mean_size(ds, depth=4)
    assert e.value == pytest.approx(600.0) and e.se == pytest.approx(np.std([600, 610, 590, 600], ddof=1) / 2)
    assert reproduction.perfect_fit_size(ds).value == pytest.approx(2500)
    last = ds.size.sel(n=2500).isel(epoch=-1) / 2500
    assert reproduction.fitted_fraction(ds).value == pytest.approx(float(last.mean("trial").max()))
    # a diverged trial is left out, as in the figures
    assert reproduction.max_mean_size(size_set(diverge_last=True), depth=4).value == pytest.approx(600.0)


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
    ours = reproduction.fitted_fraction(ds)
    for low, high, expected in ((0.0, ours.value + 0.01, reproduction.REPRODUCED), (ours.value + 10 * ours.se + 0.1, 5.0, reproduction.NOT_REPRODUCED)):
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
    e = reproduction.noise_rate_ratio(ds)
    assert e.value == pytest.approx(4.0) and e.trials == 2


# -- E7 ------------------------------------------------------------------------
def config(**sens):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["sensitivity"].update(sens)
    return cfg


def test_sensitivity_settings_change_one_knob_each_and_skip_the_baseline():
    cfg = config()
    settings = grid.sensitivity_settings(cfg)
    assert settings["baseline"] == {}
    assert all(len(k) == 1 for label, k in settings.items() if label != "baseline")
    assert "epsilon_1e-08" not in settings and settings["epsilon_1e-07"] == {"epsilon": 1e-7}
    base = grid.sensitivity_spec(cfg, "baseline", "size")
    for label, knobs in settings.items():
        spec = grid.sensitivity_spec(cfg, label, "size")
        changed = {k for k in set(spec) | set(base) if spec.get(k) != base.get(k)}
        changed |= {f"optimizer.{k}" for k in spec["optimizer"] if spec["optimizer"][k] != base["optimizer"][k]}
        assert len(changed - {"optimizer"}) == len(knobs)
    # the baseline is E1's and E2's own job: same spec, same file
    assert grid.sensitivity_spec(cfg, "baseline", "degenerate") == grid.degenerate_spec(cfg)
    p = cfg["sensitivity"]["size"]
    assert grid.sensitivity_job(cfg, "baseline", "size") == grid.size_job(cfg, p["depth"], p["n"], 0, p["trials"] - 1)
    assert grid.sensitivity_spec(cfg, "baseline", "size") == grid.size_spec(cfg, p["depth"], p["n"], 0, p["trials"] - 1)
    cfg["sensitivity"]["size"]["n"] = 123  # not on E2's grid: its own job
    assert grid.sensitivity_job(cfg, "baseline", "size") == "results/jobs/sensitivity/baseline/size.nc"
    with pytest.raises(grid.ConfigError, match="settings are"):
        grid.sensitivity_spec(cfg, "epsilon_1e-09", "size")


def test_a_float64_run_makes_float32_the_varied_precision():
    cfg = config()
    cfg["dtype"] = "float64"
    settings = grid.sensitivity_settings(cfg)
    assert "dtype_float32" in settings and "dtype_float64" not in settings


def fake_jobs(tmp_path, labels):
    e1, e2 = {}, {}
    for i, label in enumerate(labels):
        d = degenerate_set({20: 0.1 * (i + 1)}, depth=20, trials=3)
        e1[label] = str(write_atomic(d.drop_attrs().assign_attrs(width=64), tmp_path / f"{label}_e1.nc"))
        f = xr.Dataset(
            {
                "size": (("trial", "epoch"), np.full((2, 2), 10.0 * (i + 1))),
                "mse": (("trial", "epoch"), np.ones((2, 2))),
                "sum_y2": (("trial",), np.full(2, 50.0)),
                "diverged": (("trial",), np.zeros(2, dtype=np.int8)),
                "steps_per_epoch": ((), 1),
            },
            coords={"trial": [0, 1], "epoch": [10, 20], "depth": 4, "n": 50},
        )
        e2[label] = str(write_atomic(f, tmp_path / f"{label}_e2.nc"))
    return e1, e2


def test_sensitivity_merge_keeps_the_order_and_summarises(tmp_path):
    labels = ["baseline", "learning_rate_0.1", "dtype_float64"]
    settings = {"baseline": {}, "learning_rate_0.1": {"learning_rate": 0.1}, "dtype_float64": {"dtype": "float64"}}
    e1, e2 = fake_jobs(tmp_path, labels)
    ds = sensitivity.merge(e1, e2, settings)
    assert ds.setting.values.tolist() == labels and ds.knob.values.tolist() == ["", "learning_rate", "dtype"]
    t = sensitivity.summarise(ds)
    np.testing.assert_allclose(t["e1_dead_layer20_data"], [round(0.1 * k * 64) / 64 for k in (1, 2, 3)])
    np.testing.assert_allclose(t["e2_size"], [10, 20, 30])
    fig = plots.sensitivity_figure(ds, paper_band=(0.2, 0.3), dpi=40)
    assert [tick.get_text() for tick in fig.axes[0].get_xticklabels()] == ["baseline", "learning_rate=0.1", "dtype=float64"]
    with pytest.raises(ValueError, match="dtype_float64"):
        sensitivity.merge({k: e1[k] for k in labels[:2]}, e2, settings)
