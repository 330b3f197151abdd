"""Each figure function returns its figure; panels and labels are checked
on the figure object (no pixel comparisons)."""

import numpy as np
import pytest
import xarray as xr

from empirical_size.analysis import plots
from empirical_size.experiments.batching import figure as batching_figure
from empirical_size.experiments.degenerate import figure as degenerate_figure
from empirical_size.experiments.knots import figure as knots_figure
from empirical_size.experiments.linearity import figure as linearity_figure
from empirical_size.experiments.minima import figure as minima_figure
from empirical_size.experiments.size import figure as size_figure

rng = np.random.default_rng(0)


def panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def colorbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


@pytest.fixture
def batching():
    shape = (3, 2, 3, 4, 5)  # variant, depth, n, trial, epoch
    return xr.Dataset(
        {"mse": (("variant", "depth", "n", "trial", "epoch"), rng.random(shape))},
        coords={"variant": ["drop", "keep", "resample"], "depth": [2, 4], "n": [500, 1100, 1300], "trial": range(4), "epoch": [10, 20, 30, 40, 50]},
        attrs={"batch_size": 256, "full_batch_below": 1024},
    )


def test_figure2_one_mse_map_per_depth(batching):
    fig = batching_figure.figure2(batching, "keep")
    ax = panels(fig)
    assert [a.get_title() for a in ax] == ["depth 2: training MSE", "depth 4: training MSE"]
    # one colour means one MSE in every panel: one scale, one colour bar
    assert len(colorbars(fig)) == 1 and ax[0].collections[0].get_clim() == ax[1].collections[0].get_clim()
    np.testing.assert_allclose(ax[1].collections[0].get_array().reshape(3, 5), batching.mse.sel(variant="keep", depth=4).mean("trial"))
    assert "batch 256" in fig._suptitle.get_text()


def test_figure2_compare_shares_one_colour_scale(batching):
    fig = batching_figure.figure2_compare(batching)
    ax = panels(fig)
    assert len(ax) == 6
    assert [a.get_title() for a in ax[:3]] == ["keep, depth 2", "drop, depth 2", "resample, depth 2"]
    limits = {a.collections[0].get_clim() for a in ax}
    mean = batching.mse.mean("trial")
    # the scale spans the data (not 0 to 1), one colour bar for all panels
    assert len(limits) == 1 and limits.pop() == pytest.approx((float(mean.min()), float(mean.max())))
    assert len(colorbars(fig)) == 1


def test_figure3_targets_and_two_trials_per_checkpoint():
    x = np.linspace(-1, 1, 50)
    ds = xr.Dataset(
        {
            "output": (("variant", "trial", "epoch", "x"), rng.random((2, 2, 3, 50))),
            "target": (("variant", "x"), np.tile(x, (2, 1))),
            "data_x": (("sample",), x[::2]),
            "data_y": (("sample",), x[::2]),
        },
        coords={"variant": ["uniform", "zero"], "trial": [0, 1], "epoch": [8, 16, 20], "x": x},
    )
    fig = minima_figure.figure3(ds)
    ax = panels(fig)
    assert len(ax) == 6
    assert ax[0].get_title() == "zero biases, epoch 8" and ax[3].get_title() == "uniform biases, epoch 8"
    lines = ax[0].get_lines()
    assert [line.get_label() for line in lines] == ["data", "target (sawtooth)", "trial 0", "trial 1"]
    assert len({line.get_color() for line in lines}) == 4  # target, data and each trial told apart
    assert not any(a.get_legend() for a in ax) and len(fig.legends) == 1  # the legend covers no curve
    np.testing.assert_allclose(ax[5].get_lines()[3].get_ydata(), ds.output.sel(variant="uniform", trial=1, epoch=20))


@pytest.fixture
def linearity():
    x = np.linspace(-1, 1, 30)
    data_x = np.linspace(-1, 1, 8)
    epochs = [20, 40, 60, 80]
    return xr.Dataset(
        {
            "output": (("set", "trial", "epoch", "x"), rng.random((3, 2, 4, 30))),
            "output_data": (("set", "trial", "epoch", "sample"), rng.random((3, 2, 4, 8))),
            "data_x": (("sample",), data_x),
            "spline": (("sample",), data_x),
            "noise": (("sample",), rng.normal(size=8)),
        },
        coords={"set": ["X+N", "X", "N"], "trial": [0, 1], "epoch": epochs, "x": x},
        attrs={"checkpoints": [20, 60, 80], "mse_epochs": [40, 80]},
    )


def test_figure4_four_rows_by_checkpoints(linearity):
    fig = linearity_figure.figure4(linearity)
    ax = np.array(panels(fig)).reshape(4, 3)
    assert [a.get_ylabel() for a in ax[:, 0]] == [linearity_figure.ROW_LABELS[k] for k in ("X+N", "X", "N", "diff")]
    assert [a.get_title() for a in ax[0]] == ["epoch 20", "epoch 60", "epoch 80"]
    diff_line = ax[3, 1].get_lines()[1].get_ydata()  # trial 0 at epoch 60
    want = linearity.output.sel(set="X+N", trial=0, epoch=60) - linearity.output.sel(set="X", epoch=60).mean("trial")
    np.testing.assert_allclose(diff_line, want)
    assert len(ax[0, 0].get_lines()) == 1 + 2  # data and two trials


def test_figure5_pure_and_diff_at_the_mse_epochs(linearity):
    fig = linearity_figure.figure5(linearity)
    (ax,) = panels(fig)
    assert ax.get_xlabel() == "epoch" and "MSE against N" in ax.get_ylabel()
    lines = [line for line in ax.get_lines() if "mean" in line.get_label()]  # the ranges are outlines beside them
    assert [line.get_xdata().tolist() for line in lines] == [[40, 80], [40, 80]]
    assert not ax.collections  # no translucent bands that mix into a colour of neither
    pure = ((linearity.output_data.sel(set="N", epoch=[40, 80]) - linearity.noise) ** 2).mean("sample").mean("trial")
    np.testing.assert_allclose(lines[0].get_ydata(), pure)
    x_mean = linearity.output_data.sel(set="X", epoch=[40, 80]).mean("trial")
    diff = ((linearity.output_data.sel(set="X+N", epoch=[40, 80]) - x_mean - linearity.noise) ** 2).mean("sample")
    np.testing.assert_allclose(lines[1].get_ydata(), diff.mean("trial"))


def test_degenerate_figure_marks_the_papers_layers():
    dead = rng.integers(0, 8, size=(2, 2, 3, 20))
    ds = xr.Dataset({"dead": (("stage", "sample", "trial", "layer"), dead)},
                    coords={"stage": ["init", "trained"], "sample": ["data", "fresh"], "trial": range(3), "layer": range(1, 21)},
                    attrs={"width": 8})
    fig = degenerate_figure.degenerate_figure(ds, marked=(3, 10, 20), paper={3: (0.05, 0.025, 0.075), 10: (0.2, 0.175, 0.225), 30: (0.3, 0.275, 0.325)})
    (ax,) = panels(fig)
    assert ax.get_xlabel() == "hidden layer (from the input)" and ax.get_ylabel() == "fraction of neurons dead"
    assert [t.get_text() for t in ax.texts] == ["layer 3", "layer 10", "layer 20"]
    assert len(fig.legends[0].get_texts()) == 5
    # the paper's values at the layers the run has (not layer 30), integer layer ticks
    paper = [c for c in ax.containers if c.get_label().startswith("paper")]
    assert len(paper) == 1 and paper[0].lines[0].get_xdata().tolist() == [3, 10]
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_knots_figure_has_references_and_training_panels():
    init = rng.integers(1, 40, size=(2, 2, 3))
    ds = xr.Dataset(
        {
            "pieces": (("width", "depth", "trial"), init),
            "pieces_minima": (("minima_variant", "minima_trial", "minima_epoch"), rng.integers(1, 50, size=(2, 2, 3)), {"width": 8, "depth": 4}),
        },
        coords={"width": [4, 8], "depth": [1, 2], "trial": range(3), "minima_variant": ["zero", "uniform"], "minima_trial": [0, 1], "minima_epoch": [5, 10, 15]},
    )
    fig = knots_figure.knots_figure(ds)
    left, right = panels(fig)
    assert left.get_xlabel() == "N (neurons per layer)" and left.get_yscale() == "log"
    labels = left.get_legend_handles_labels()[1]
    assert any(label.startswith("N·K") for label in labels) and any(label.startswith("N^K") for label in labels)
    assert "K = 1 layer" in labels and "K = 2 layers" in labels
    dotted = [line for line in left.get_lines() if line.get_linestyle() == ":" and len(line.get_xdata())]
    np.testing.assert_allclose(dotted[1].get_ydata(), [4.0**2, 8.0**2])  # N^K for K = 2
    assert right.get_title() == "E4 (sawtooth) during training"
    styles = [(line.get_color(), line.get_linestyle()) for line in right.get_lines() if not line.get_label().startswith("N·K")]
    assert len(styles) == 4 and len(set(styles)) == 4  # no two curves look alike
    assert any(line.get_label() == "N·K = 32" for line in right.get_lines())


def test_figure1_leaves_out_diverged_trials_and_says_so():
    ds = xr.Dataset(
        {
            "mse": (("depth", "n", "trial", "epoch"), np.ones((1, 2, 3, 2))),
            "size": (("depth", "n", "trial", "epoch"), np.ones((1, 2, 3, 2))),
            "sum_y2": (("depth", "n", "trial"), np.ones((1, 2, 3))),
            "diverged": (("depth", "n", "trial"), np.zeros((1, 2, 3), dtype=np.int8)),
        },
        coords={"depth": [2], "n": [20, 40], "trial": [0, 1, 2], "epoch": [5, 10]},
    )
    ds["mse"][0, 1, 2] = [1e6, np.nan]
    ds["diverged"][0, 1, 2] = 1
    fig = size_figure.figure1(ds)
    assert "1 of 6 trial runs diverged" in fig._suptitle.get_text()
    mesh = panels(fig)[0].collections[0]
    np.testing.assert_allclose(mesh.get_array().reshape(2, 2), 1.0)  # the diverged trial is not in the mean


def test_figures_name_the_settings_that_are_not_the_papers():
    from empirical_size.analysis import reproduction

    paper = {"size": {"depths": [2, 3, 4], "width": 64, "epochs": 50000, "trials_per_job": 128}}
    run = {"size": {"depths": [2, 3, 4], "width": 64, "epochs": 2000, "trials_per_job": 8}, "dtype": "float32", "optimizer": {"learning_rate": 0.1, "rho": 0.95, "epsilon": 1e-8}}
    said = reproduction.paper_differences(run, paper, "size")
    assert said == ["epochs 2,000 (paper 50,000)", "Adadelta learning_rate 0.1 (paper 1)"]  # speed-only keys are not named
    fig = linearity_figure.figure5(linearity_set())
    plots.footer(fig, said)
    assert any("Not the paper's settings: epochs 2,000" in t.get_text() for t in fig.texts)
    assert reproduction.paper_differences({**run, "size": paper["size"], "optimizer": {}}, paper, "size") == []


def test_the_default_colour_map_is_colour_blind_safe():
    import yaml
    from conftest import ROOT

    assert plots.DEFAULT_CMAP == yaml.safe_load((ROOT / "config/config.yaml").read_text())["plot"]["cmap"] == "viridis"
    assert plots.DEPTH_COLORS == plots.OKABE_ITO[:5]


def linearity_set():
    x = np.linspace(-1, 1, 8)
    return xr.Dataset(
        {"output_data": (("set", "trial", "epoch", "sample"), rng.random((3, 2, 2, 8))), "noise": (("sample",), rng.normal(size=8))},
        coords={"set": ["X+N", "X", "N"], "trial": [0, 1], "epoch": [40, 80], "data_x": (("sample",), x)},
        attrs={"mse_epochs": [40, 80]},
    )
