"""Merging job files and drawing Figure 1, on synthetic data sets."""

import numpy as np
import pytest
import xarray as xr

from empirical_size.analysis.merge import merge_jobs
from empirical_size.experiments.size import figure as size_figure
from empirical_size.training.storage import write_atomic

REQUIRED = ("mse", "size", "sum_y2")


def fake_job(depth, n, trials, epochs=(10, 20)):
    rng = np.random.default_rng(depth * 1000 + n + trials[0])
    ds = xr.Dataset(
        {
            "mse": (("trial", "epoch"), rng.random((len(trials), len(epochs)))),
            "size": (("trial", "epoch"), rng.random((len(trials), len(epochs))) * n),
            "sum_y2": (("trial",), rng.random(len(trials)) * n),
        },
        coords={"trial": list(trials), "epoch": list(epochs), "depth": depth, "n": n},
        attrs={"backend": "tensorflow", "wall_seconds": 1.5},
    )
    return ds


@pytest.fixture
def job_files(tmp_path):
    paths = []
    for depth in (2, 3):
        for n in (20, 50, 80):
            for trials in ((0, 1), (2,)):
                ds = fake_job(depth, n, trials)
                paths.append(str(write_atomic(ds, tmp_path / f"d{depth}_n{n}_t{trials[0]}.nc")))
    return paths


def test_merge_stacks_grid_and_trials(job_files):
    merged = merge_jobs(job_files[::-1], ("depth", "n"), REQUIRED, "size")
    assert merged.mse.dims == ("depth", "n", "trial", "epoch")
    assert merged.depth.values.tolist() == [2, 3]
    assert merged.n.values.tolist() == [20, 50, 80]
    assert merged.trial.values.tolist() == [0, 1, 2]
    assert merged.attrs["jobs"] == 12 and merged.attrs["total_wall_seconds"] == 18.0
    assert merged.attrs["backend"] == "tensorflow"
    original = xr.load_dataset(job_files[2])  # depth 2, n 50, trials 0-1
    np.testing.assert_array_equal(merged.mse.sel(depth=2, n=50, trial=[0, 1]).values, original.mse.values)


def test_merge_names_a_truncated_file(job_files, tmp_path):
    bad = tmp_path / "truncated.nc"
    bad.write_bytes(open(job_files[0], "rb").read()[:200])
    with pytest.raises(ValueError, match="truncated.nc"):
        merge_jobs(job_files + [str(bad)], ("depth", "n"), REQUIRED, "size")


def test_merge_names_a_file_without_a_variable(job_files, tmp_path):
    foreign = write_atomic(fake_job(4, 20, (0,)).drop_vars("size"), tmp_path / "foreign.nc")
    with pytest.raises(ValueError, match="foreign.nc.*size"):
        merge_jobs(job_files + [str(foreign)], ("depth", "n"), REQUIRED, "size")


def test_merge_refuses_repeated_trials(job_files, tmp_path):
    again = write_atomic(fake_job(2, 20, (1,)), tmp_path / "again.nc")
    with pytest.raises(ValueError, match="trial 1"):
        merge_jobs(job_files + [str(again)], ("depth", "n"), REQUIRED, "size")


def test_atomic_write_leaves_no_partial_file(tmp_path):
    ds = fake_job(2, 20, (0,))
    ds["bad"] = ((), object())  # netCDF cannot store an object: the write fails midway
    with pytest.raises(Exception):
        write_atomic(ds, tmp_path / "out.nc")
    assert list(tmp_path.iterdir()) == []


def test_figure1_has_heat_maps_and_final_size_panels(job_files):
    merged = merge_jobs(job_files, ("depth", "n"), REQUIRED, "size")
    fig = size_figure.figure1(merged, cmap="coolwarm")
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(panels) == 3 * 2 and len(bars) == 2  # 2 depths x (MSE, size, final); one bar per quantity, its scale shared by the depths
    titles = [ax.get_title() for ax in panels]
    assert titles[:3] == ["depth 2: training MSE", "depth 2: size", "depth 2: final size"]
    mse_ax = panels[0]
    assert mse_ax.get_xlabel() == "epoch" and mse_ax.get_ylabel() == "n (a row per size)"
    assert panels[0].collections[0].get_clim() == panels[3].collections[0].get_clim()  # MSE of depths 2 and 3
    lo, hi = mse_ax.get_ylim()
    assert lo > hi  # data size increases downward
    assert [t.get_text() for t in mse_ax.get_yticklabels()] == ["20", "50", "80"]
    mesh = mse_ax.collections[0]
    assert mesh.get_cmap().name == "coolwarm"
    np.testing.assert_allclose(mesh.get_array().reshape(3, 2), merged.mse.sel(depth=2).mean("trial").values)
    final = panels[2]
    labels = [line.get_label() for line in final.get_lines()]
    assert any("sum(y" in label for label in labels)
    assert bars[0].get_ylabel() == "mean training MSE (one scale for every depth)"
    assert "size = sum over the n training points of f(x)²" in fig._suptitle.get_text()  # what "size" means


def test_merge_keeps_string_grid_labels_whole(tmp_path):
    paths = []
    for variant in ("keep", "resample", "drop"):
        ds = fake_job(2, 20, (0,)).assign_coords(variant=variant)
        paths.append(str(write_atomic(ds, tmp_path / f"{variant}.nc")))
    merged = merge_jobs(paths, ("variant", "depth", "n"), REQUIRED, "batching")
    assert merged.variant.values.tolist() == ["drop", "keep", "resample"]
    merged = merge_jobs(paths, ("variant",), REQUIRED, "batching")
    assert merged.variant.values.tolist() == ["drop", "keep", "resample"]
