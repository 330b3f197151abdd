"""Each measure of the paper's claims on constructed data where the answer
is known, both ways: a verdict that could not come out otherwise is no test."""

import json

import numpy as np
import pytest
import xarray as xr
import yaml

from empirical_size.analysis import claims, reproduction
from empirical_size.experiments.batching import claims as batching
from empirical_size.experiments.knots import claims as knots
from empirical_size.experiments.linearity import claims as linearity
from empirical_size.experiments.minima import claims as minima
from empirical_size.experiments.size import claims as size

SETTINGS, CLAIMS = reproduction.load_reference()
BY_ID = {c.id: c for c in CLAIMS}


def attrs(experiment: str, section: dict, **more) -> dict:
    config = {experiment: section, "dtype": SETTINGS["dtype"], "optimizer": dict(SETTINGS["optimizer"]), **more}
    return {"config": json.dumps(config), "experiment": experiment}


def verdict(claim_id: str, datasets: dict) -> str:
    """The verdict of one claim in the table built from ``datasets`` (experiment -> data set)."""
    frame = reproduction.table({name: (f"{name}.nc", ds) for name, ds in datasets.items()})
    return frame.set_index("claim").loc[claim_id].verdict


# -- E3 ------------------------------------------------------------------------
E3_SECTION = {"width": 64, "inputs": 3, "epochs": 50000, "batch_size": 256, "full_batch_below": 1024}
SIZES = [500, 1100, 1200, 1280, 1300, 1500, 1650, 1800, 2000, 2300]


def batching_set(effects: dict[str, float], trials=6, seed=0) -> xr.Dataset:
    """Last-epoch MSE = 0.3 n^0.2 (the trend in n) x ``exp(effect)`` for a
    remainder batch of one point (scaled by its smallness), with a little
    per-trial noise; ``effects`` per variant."""
    rng = np.random.default_rng(seed)
    ns = np.array(SIZES)
    mse = np.empty((len(effects), 1, len(ns), trials, 2))
    for v, effect in enumerate(effects.values()):
        log = np.log(0.3) + 0.2 * np.log(ns) + effect * batching.smallness(ns, 256) * (ns >= 1024)
        mse[v, 0, :, :, -1] = np.exp(log[:, None] + rng.normal(0, 0.02, (len(ns), trials)))
        mse[v, 0, :, :, 0] = 2 * mse[v, 0, :, :, -1]
    return xr.Dataset(
        {"mse": (("variant", "depth", "n", "trial", "epoch"), mse)},
        coords={"variant": list(effects), "depth": [2], "n": ns, "trial": np.arange(trials), "epoch": [25000, 50000]},
        attrs=attrs("batching", {**E3_SECTION, "sizes": SIZES}),
    )


def test_remainder_effect_finds_a_remainder_pattern_and_no_pattern_where_there_is_none():
    ds = batching_set({"keep": np.log(2.0), "drop": 0.0, "resample": np.log(1.5)})
    assert batching.remainder_effect(ds, "keep").value == pytest.approx(2.0, rel=0.05)
    assert batching.remainder_effect(ds, "drop").value == pytest.approx(1.0, abs=0.05)
    assert verdict("E3_remainder", {"batching": ds}) == reproduction.REPRODUCED
    assert verdict("E3_remedy_drop", {"batching": ds}) == reproduction.REPRODUCED
    assert verdict("E3_remedy_resample", {"batching": ds}) == reproduction.CONTRADICTED  # 1.5: the remedy left it
    flat = batching_set({"keep": 0.0, "drop": 0.0, "resample": 0.0})
    assert verdict("E3_remainder", {"batching": flat}) == reproduction.CONTRADICTED


def test_remainder_effect_needs_enough_sizes_in_mini_batches():
    ds = batching_set({"keep": 0.5}).sel(n=[500, 1100, 1200, 1300])
    with pytest.raises(claims.NotMeasurable, match="full_batch_below"):
        batching.remainder_effect(ds, "keep")
    frame = reproduction.table({"batching": ("b.nc", ds)}).set_index("claim")
    assert frame.loc["E3_remainder"].verdict == reproduction.NOT_COMPARABLE and "needs 5" in frame.loc["E3_remainder"].why


def swept(effect: float, noise: float, trials=8, seed=1) -> xr.Dataset:
    """An E3 data set with the batch-size sweep (128 and 512 beside the
    paper's 256 at n 1500 and 2500): log MSE rises by ``effect`` per
    doubling of the batch size; each trial's level (shared by its batch
    sizes: the design pairs them) varies by ``noise``."""
    rng = np.random.default_rng(seed)
    ns, batches = [1500, 2500], [128, 512]
    level = rng.normal(0, noise, trials)  # the trial's own: cancels in the paired ratio

    def jitter(*shape):
        return rng.normal(0, 0.02, shape)

    keep = np.exp(np.log(0.3) + level + jitter(2, trials))[None, None, :, :, None]  # b 256
    sweep = np.stack([np.exp(np.log(0.3) + level + effect * np.log2(b / 256) + jitter(2, trials)) for b in batches])[:, None, :, :, None]
    return xr.Dataset(
        {
            "mse": (("variant", "depth", "n", "trial", "epoch"), keep),
            "sweep_mse": (("batch_size", "depth", "sweep_n", "trial", "epoch"), sweep),
        },
        coords={"variant": ["keep"], "depth": [2], "n": ns, "sweep_n": ns, "batch_size": batches, "trial": np.arange(trials), "epoch": [50000]},
        attrs=attrs("batching", {**E3_SECTION, "sizes": ns, "sweep_batch_sizes": batches, "sweep_sizes": ns}),
    )


def test_batch_size_effect_is_the_paired_ratio_of_the_largest_batch_to_the_smallest():
    # a factor 4 in batch size, log MSE up 0.2 per doubling: exp(0.4)
    assert batching.batch_size_effect(swept(0.2, 0.0)).value == pytest.approx(np.exp(0.4), rel=0.02)
    assert verdict("E3_batch_size", {"batching": swept(0.2, 0.0)}) == reproduction.REPRODUCED
    assert verdict("E3_batch_size", {"batching": swept(0.0, 0.0)}) == reproduction.CONTRADICTED
    # trial levels spread 10 times wider than the effect: paired, it still shows
    noisy = batching.batch_size_effect(swept(0.2, 2.0))
    assert noisy.method == claims.PAIRED_T and noisy.interval[0] > 1.25
    frame = reproduction.table({"batching": ("b.nc", swept(0.2, 0.0).drop_vars(["sweep_mse", "batch_size", "sweep_n"]))}).set_index("claim")
    assert frame.loc["E3_batch_size"].verdict == reproduction.NOT_COMPARABLE and "sweep" in frame.loc["E3_batch_size"].why


def test_the_merge_moves_the_batch_size_sweep_out_of_the_variants():
    from empirical_size.experiments.batching.merge import split_sweep

    rng = np.random.default_rng(0)
    variants, ns = ["keep", "keep_b128", "keep_b512"], [1100, 1500]
    mse = rng.random((3, 1, 2, 2, 1))
    mse[1:, :, 0] = np.nan  # the sweep trains n 1500 only
    diverged = np.zeros((3, 1, 2, 2))
    diverged[2, 0, 1, 1] = 1
    ds = xr.Dataset(
        {"mse": (("variant", "depth", "n", "trial", "epoch"), mse), "diverged": (("variant", "depth", "n", "trial"), diverged)},
        coords={"variant": variants, "depth": [2], "n": ns, "trial": [0, 1], "epoch": [100]},
    )
    out = split_sweep(ds)
    assert out.variant.values.tolist() == ["keep"] and out.diverged.dtype == bool
    assert out.sweep_mse.dims == ("batch_size", "depth", "sweep_n", "trial", "epoch")
    assert out.batch_size.values.tolist() == [128, 512] and out.sweep_n.values.tolist() == [1500]
    np.testing.assert_array_equal(out.sweep_mse.sel(batch_size=128, sweep_n=1500).values, mse[1, :, 1])
    assert np.isnan(out.sweep_mse.sel(batch_size=512, sweep_n=1500, trial=1)).all()  # diverged
    assert split_sweep(out.drop_vars(["sweep_mse", "batch_size", "sweep_n"])).identical(out.drop_vars(["sweep_mse", "batch_size", "sweep_n"]))


def curves(shape, final, epochs, decay):
    """MSE falling from 1 towards ``final`` at rate ``decay`` per epoch."""
    e = np.asarray(epochs, float)
    return final + (1 - final) * np.exp(-decay * e)[None, :] * np.ones(shape)[..., None]


def test_epochs_to_full_batch_is_small_when_batches_train_faster_and_one_when_not():
    epochs = np.arange(500, 50001, 500)
    full = xr.Dataset(
        {
            "mse": (("depth", "n", "trial", "epoch"), curves((1, 2, 4), 0.2, epochs, 1e-4)),
            "size": (("depth", "n", "trial", "epoch"), np.ones((1, 2, 4, len(epochs)))),
            "sum_y2": (("depth", "n", "trial"), np.ones((1, 2, 4))),
        },
        coords={"depth": [2], "n": [1500, 2500], "trial": np.arange(4), "epoch": epochs},
        attrs=attrs("size", {"epochs": 50000}),
    )

    def batched(decay):
        mse = curves((1, 1, 2, 4), 0.1, epochs, decay)
        return xr.Dataset(
            {"mse": (("variant", "depth", "n", "trial", "epoch"), mse)},
            coords={"variant": ["keep"], "depth": [2], "n": [1500, 2500], "trial": np.arange(4), "epoch": epochs},
            attrs=attrs("batching", {**E3_SECTION, "sizes": [1500, 2500]}),
        )

    fast = batching.epochs_to_full_batch(batched(1e-3), full)
    slow = batching.epochs_to_full_batch(batched(2e-5), full)
    assert fast.value < 0.2 and slow.value > 1.0
    assert verdict("E3_fewer_epochs", {"batching": batched(1e-3), "size": full}) == reproduction.REPRODUCED
    assert verdict("E3_fewer_epochs", {"batching": batched(2e-5), "size": full}) == reproduction.CONTRADICTED
    short = full.copy()
    short.attrs = attrs("size", {"epochs": 2000})
    frame = reproduction.table({"batching": ("b", batched(1e-3)), "size": ("s", short)}).set_index("claim")
    assert frame.loc["E3_fewer_epochs"].verdict == reproduction.NOT_COMPARABLE and "size.epochs = 2000" in frame.loc["E3_fewer_epochs"].why


# -- E4 ------------------------------------------------------------------------
E4_SECTION = {"depth": 4, "width": 500, "n": 1000, "batch_size": 500, "teeth": 10, "checkpoints": [8000, 16000, 20000]}


def minima_set(error_shape: dict[str, callable], trials=4, seed=0, later=None) -> xr.Dataset:
    """Outputs = sawtooth + an error whose size follows ``error_shape[variant](|x|)``
    at 8,000 epochs; ``later`` the error factor at 16,000 and 20,000."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, 400)
    target = 2 * np.abs((5 * (x + 1)) % 1 - 0.5) - 0.5
    later = later or {16000: 0.5, 20000: 0.5}
    out = np.empty((len(error_shape), trials, 3, len(x)))
    for v, shape in enumerate(error_shape.values()):
        for t in range(trials):
            wiggle = rng.normal(0, 1, len(x))
            err = shape(np.abs(x)) * wiggle
            for e, factor in enumerate([1.0, later[16000], later[20000]]):
                out[v, t, e] = target + factor * err
    return xr.Dataset(
        {"output": (("variant", "trial", "epoch", "x"), out), "target": (("x",), target)},
        coords={"variant": list(error_shape), "trial": np.arange(trials), "epoch": [8000, 16000, 20000], "x": x},
        attrs=attrs("minima", E4_SECTION),
    )


def test_inside_out_index_tells_inside_out_from_boundary_in_and_uniform():
    ds = minima_set({"zero": lambda r: r, "uniform": lambda r: 0.5 + 0 * r})
    assert minima.inside_out_fit(ds, "zero", 8000).value > 0.9
    assert abs(minima.inside_out_fit(ds, "uniform", 8000).value) < 0.6
    assert verdict("E4_inside_out", {"minima": ds}) == reproduction.REPRODUCED
    assert verdict("E4_inside_out_zero_biases", {"minima": ds}) == reproduction.REPRODUCED
    outside_in = minima_set({"zero": lambda r: 1 - r, "uniform": lambda r: r})
    assert minima.inside_out_fit(outside_in, "zero", 8000).value < -0.9
    assert verdict("E4_inside_out", {"minima": outside_in}) == reproduction.CONTRADICTED
    assert verdict("E4_inside_out_zero_biases", {"minima": outside_in}) == reproduction.CONTRADICTED


def test_trapped_and_stalled_follow_the_remaining_error_and_the_movement():
    stuck = minima_set({"zero": lambda r: 0.5 + 0 * r}, later={16000: 0.5, 20000: 0.5})
    assert minima.relative_error(stuck, "zero", 20000).value > 0.1
    assert minima.relative_change(stuck, "zero", [16000, 20000]).value == pytest.approx(0.0)
    assert verdict("E4_trapped", {"minima": stuck}) == reproduction.REPRODUCED
    assert verdict("E4_stalled", {"minima": stuck}) == reproduction.REPRODUCED
    learning = minima_set({"zero": lambda r: 0.5 + 0 * r}, later={16000: 0.3, 20000: 0.01})
    assert verdict("E4_trapped", {"minima": learning}) == reproduction.CONTRADICTED
    assert verdict("E4_stalled", {"minima": learning}) == reproduction.CONTRADICTED
    with pytest.raises(claims.NotMeasurable, match="epoch 12345"):
        minima.relative_error(stuck, "zero", 12345)


# -- E5 ------------------------------------------------------------------------
E5_SECTION = {"depth": 4, "width": 32, "n": 64, "knots": 8, "checkpoints": [20, 100, 200, 1000, 2000, 4000]}
EPOCHS = [20, 100, 200, 1000, 2000, 4000]


def linearity_set(x_share, n_share, trials=5, seed=0, pure=None, diff_extra=None, frequency=None):
    """Outputs on the 64 inputs: X + N trials hold ``x_share[e]`` of X and
    ``n_share[e]`` of N; X trials hold the same share of X; N trials (pure)
    hold ``pure(|x|, e)`` of N (default ``n_share``). ``diff_extra`` is added
    to the X + N trials' N part (per |x|, e)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, 64)
    spline = np.interp(x, np.linspace(-1, 1, 8), rng.normal(0, 1, 8))
    noise = rng.normal(0, 0.2, 64)
    out = np.zeros((3, trials, len(EPOCHS), 64))
    for e in range(len(EPOCHS)):
        for t in range(trials):
            jitter = 1 + rng.normal(0, 0.01)
            pure_share = pure(np.abs(x), e) if pure else n_share[e]
            extra = diff_extra(np.abs(x), e) if diff_extra else 0.0
            out[0, t, e] = jitter * x_share[e] * spline + (n_share[e] + extra) * noise
            out[1, t, e] = jitter * x_share[e] * spline
            out[2, t, e] = pure_share * noise * jitter
    ds = xr.Dataset(
        {
            "output_data": (("set", "trial", "epoch", "sample"), out),
            "spline": (("sample",), spline),
            "noise": (("sample",), noise),
            "data_x": (("sample",), x),
        },
        coords={"set": ["X+N", "X", "N"], "trial": np.arange(trials), "epoch": EPOCHS},
        attrs={**attrs("linearity", E5_SECTION), "checkpoints": EPOCHS, "mse_epochs": [2000, 4000]},
    )
    if frequency is not None:
        ds = ds.merge(frequency, join="inner")
    return ds


def test_low_frequency_first_tells_x_first_from_both_at_once():
    first = linearity_set([0.3, 0.95, 1, 1, 1, 1], [0.0, 0.1, 0.3, 0.8, 1, 1])
    together = linearity_set([0.3, 0.95, 1, 1, 1, 1], [0.3, 0.95, 1, 1, 1, 1])
    assert linearity.noise_held_when_x_is(first).value == pytest.approx(0.1, abs=0.02)
    assert linearity.noise_held_when_x_is(together).value == pytest.approx(0.95, abs=0.02)
    assert verdict("E5_low_frequency_first", {"linearity": first}) == reproduction.REPRODUCED
    assert verdict("E5_low_frequency_first", {"linearity": together}) == reproduction.CONTRADICTED


def test_uniformity_contrast_is_positive_when_pure_learns_from_the_origin_and_diff_does_not():
    shares = [0.0, 0.2, 0.5, 0.8, 1.0, 1.0]
    # pure holds all of N near 0 and little far out; diff holds it evenly
    outward = linearity_set([1] * 6, shares, pure=lambda r, e: np.clip(shares[e] * 2 * (1 - r), 0, 1))
    reverse = linearity_set([1] * 6, shares, pure=lambda r, e: shares[e] + 0 * r, diff_extra=lambda r, e: 1 - r - shares[e])
    assert linearity.uniformity_contrast(outward).value > 0.5
    assert linearity.uniformity_contrast(reverse).value < -0.5
    assert verdict("E5_uniform", {"linearity": outward}) == reproduction.REPRODUCED
    assert verdict("E5_uniform", {"linearity": reverse}) == reproduction.CONTRADICTED
    # row 3 alone: pure from the origin outward, or evenly (its index no pattern: cannot be outward)
    assert linearity.origin_outward(outward).value > 0.9
    assert verdict("E5_origin_outward", {"linearity": outward}) == reproduction.REPRODUCED
    inward = linearity_set([1] * 6, shares, pure=lambda r, e: np.clip(shares[e] * 2 * r, 0, 1))  # holds N far out first
    assert linearity.origin_outward(inward).value < -0.5
    assert verdict("E5_origin_outward", {"linearity": inward}) == reproduction.CONTRADICTED


def test_linearity_gap_is_zero_for_linear_training_and_large_otherwise():
    shares = [0.0, 0.2, 0.5, 0.8, 1.0, 1.0]
    linear = linearity_set([1] * 6, shares)
    assert linearity.linearity_gap(linear).value < 0.01
    bent = linearity_set([1] * 6, shares, diff_extra=lambda r, e: 1.5 + 0 * r)
    assert linearity.linearity_gap(bent).value > 1.0
    assert verdict("E5_linear", {"linearity": linear}) == reproduction.REPRODUCED
    assert verdict("E5_linear", {"linearity": bent}) == reproduction.CONTRADICTED


def test_early_stopping_gain_finds_a_better_intermediate_epoch():
    overfit = linearity_set([0.5, 1, 1, 1, 1, 1], [0.0, 0.0, 0.2, 0.6, 0.9, 1.0])  # X learned, then N piles on
    steady = linearity_set([0.2, 0.4, 0.6, 0.8, 0.9, 1.0], [0.0] * 6)  # X learned by the end, no noise
    assert linearity.early_stopping_gain(overfit).value < 0.1
    assert linearity.early_stopping_gain(steady).value == pytest.approx(1.0)
    assert verdict("E5_early_stopping", {"linearity": overfit}) == reproduction.REPRODUCED
    assert verdict("E5_early_stopping", {"linearity": steady}) == reproduction.CONTRADICTED
    # read after the run as the paper means it (enormous networks): E5's cannot answer it; the post-hoc row says so
    for ds in (overfit, steady):
        row = reproduction.table({"linearity": ("l", ds)}).set_index("claim").loc["E5_early_stopping_unanswerable"]
        assert row.verdict == reproduction.NOT_COMPARABLE and row.why.startswith("this design cannot answer it: ") and "enormous" in row.why
        assert np.isfinite(row.ours)  # the value is shown


def frequency_sweep(time_of: callable, trials=4, frequencies=(1, 2, 4, 8)) -> xr.Dataset:
    """MSE falling from the target's variance 1 to 0 as a step at epoch ``time_of(k)``."""
    epochs = np.arange(20, 4001, 20)
    mse = np.ones((len(frequencies), trials, len(epochs)))
    for i, k in enumerate(frequencies):
        for t in range(trials):
            mse[i, t, epochs >= time_of(k) * (1 + 0.05 * t)] = 0.1
    return xr.Dataset(
        {"freq_mse": (("frequency", "trial", "freq_epoch"), mse), "freq_target_variance": (("frequency", "trial"), np.ones((len(frequencies), trials)))},
        coords={"frequency": list(frequencies), "trial": np.arange(trials), "freq_epoch": epochs},
    )


def test_frequency_slope_is_two_for_a_square_law_and_zero_for_none():
    square = linearity_set([1] * 6, [1] * 6, frequency=frequency_sweep(lambda k: 40 * k**2))
    flat = linearity_set([1] * 6, [1] * 6, frequency=frequency_sweep(lambda k: 400))
    assert linearity.frequency_slope(square).value == pytest.approx(2.0, abs=0.15)  # records every 20 epochs round up
    assert linearity.frequency_slope(flat).value == pytest.approx(0.0, abs=0.05)
    assert verdict("E5_frequency", {"linearity": square}) == reproduction.REPRODUCED
    assert verdict("E5_frequency", {"linearity": flat}) == reproduction.INCONCLUSIVE  # a slope of 0 sits on the reading's edge: no evidence either way
    # never learned: counted one record past the end, so the trend is bounded, not lost
    late = frequency_sweep(lambda k: 1000 * k)
    assert int(linearity.epochs_to_learn(late, 0.5)[0].sel(frequency=8).max()) == 4020


# -- E6 ------------------------------------------------------------------------
def knots_set(pieces_of: callable, trials=3, minima_peak=None) -> xr.Dataset:
    widths, depths, steps = [8, 32, 128, 500], [1, 2, 3, 4], [0, 1, 5, 25]
    pieces = np.zeros((4, 4, 4, trials), dtype=np.int64)
    for i, n in enumerate(widths):
        for j, k in enumerate(depths):
            pieces[i, j, 0] = 2
            for s in range(1, 4):
                pieces[i, j, s] = [max(1, round(pieces_of(n, k) * (1 + 0.03 * t))) for t in range(trials)]
    ds = xr.Dataset(
        {"pieces_trained": (("width", "depth", "step", "trial"), pieces)},
        coords={"width": widths, "depth": depths, "step": steps, "trial": np.arange(trials)},
        attrs=attrs("knots", {"widths": widths, "depths": depths, "steps": steps}),
    )
    if minima_peak is not None:
        during = np.array(minima_peak, dtype=np.int64)  # (variant, trial, epoch)
        ds["pieces_minima"] = (("minima_variant", "minima_trial", "minima_epoch"), during, {"width": 500, "depth": 4})
        ds = ds.assign_coords(minima_variant=["zero", "uniform"][: during.shape[0]])
    return ds


def test_pieces_exponent_tells_n_times_k_from_n_to_the_k():
    linear = knots_set(lambda n, k: 0.5 * n * k)
    power = knots_set(lambda n, k: 1e-3 * float(n) ** k)
    assert knots.pieces_exponent(linear).value == pytest.approx(1.0, abs=0.05)
    assert knots.pieces_exponent(power).value == pytest.approx(4.0, abs=0.3)
    assert verdict("E6_pieces_after_few_steps", {"knots": linear}) == reproduction.REPRODUCED
    assert verdict("E6_pieces_after_few_steps", {"knots": power}) == reproduction.CONTRADICTED


def test_pieces_during_training_over_n_times_k():
    e4 = minima_set({"zero": lambda r: r})
    few = knots_set(lambda n, k: n, minima_peak=[[[10, 200, 800]] * 3])
    many = knots_set(lambda n, k: n, minima_peak=[[[10, 4000, 6000]] * 3])
    assert knots.pieces_per_neuron_during_training(few, e4).value == pytest.approx(0.4)
    assert knots.pieces_per_neuron_during_training(many, e4).value > 1
    assert verdict("E6_simple_throughout", {"knots": few, "minima": e4}) == reproduction.REPRODUCED
    assert verdict("E6_simple_throughout", {"knots": many, "minima": e4}) == reproduction.CONTRADICTED
    # read after the run as a rate, which one width cannot fail: the post-hoc row is shown, not judged
    for ds in (few, many):
        row = reproduction.table({"knots": ("k", ds), "minima": ("m", e4)}).set_index("claim").loc["E6_simple_throughout_unanswerable"]
        assert row.verdict == reproduction.NOT_COMPARABLE and "growth rate" in row.why and np.isfinite(row.ours)
    small = minima_set({"zero": lambda r: r})
    small.attrs = attrs("minima", {**E4_SECTION, "width": 64})
    why = reproduction.table({"knots": ("k", few), "minima": ("m", small)}).set_index("claim").loc["E6_simple_throughout"].why
    assert "minima.width = 64 (paper: 500)" in why


# -- E2 ------------------------------------------------------------------------
def size_set(peaks: dict[int, float], trials=4) -> xr.Dataset:
    rng = np.random.default_rng(0)
    sizes = np.full((3, 2, trials, 2), 10.0) + rng.uniform(0, 1, (3, 2, trials, 2))
    for d, (depth, peak) in enumerate(peaks.items()):
        sizes[d, 1, :, 1] = peak + rng.normal(0, 5, trials)
    section = {"depths": [2, 3, 4], "width": 64, "inputs": 3, "sizes": [20, 2500], "epochs": 50000}
    return xr.Dataset(
        {"size": (("depth", "n", "trial", "epoch"), sizes), "sum_y2": (("depth", "n", "trial"), np.full((3, 2, trials), 2500.0))},
        coords={"depth": [2, 3, 4], "n": [20, 2500], "trial": np.arange(trials), "epoch": [25000, 50000]},
        attrs=attrs("size", section),
    )


def test_depth_order_is_the_smallest_paired_rise():
    rising = size_set({2: 370, 3: 580, 4: 600})
    assert size.depth_order(rising).value == pytest.approx(20, abs=15)
    assert verdict("E2_depth_order", {"size": rising}) == reproduction.REPRODUCED
    falling = size_set({2: 370, 3: 580, 4: 400})
    assert size.depth_order(falling).value < 0
    assert verdict("E2_depth_order", {"size": falling}) == reproduction.CONTRADICTED


# -- the reference file -------------------------------------------------------
def test_every_claim_names_a_measure_the_rule_reads_its_data_sets_and_quotes_new_claims():
    assert len(CLAIMS) >= 25
    assert set(reproduction.data_sets()) == {e for c in CLAIMS for e in c.uses} >= {c.experiment for c in CLAIMS}
    for c in CLAIMS:
        assert c.experiment in c.uses and c.test in reproduction.TESTS
        if c.experiment in ("batching", "minima", "knots") or c.id.startswith("E5_") and not c.id.startswith("E5_noise_rate"):  # Figure 5's discussion, no sentence
            assert c.quote or c.id == "E2_depth_order", c.id


@pytest.mark.parametrize(
    "change, message",
    [
        ({"measure": "remainder_efect"}, "claim E3_remainder: unknown measure 'remainder_efect'; did you mean 'remainder_effect'?"),
        ({"experiment": "batchin"}, "claim E3_remainder: unknown experiment 'batchin'"),
        ({"test": "within"}, "claim E3_remainder: test must be one of"),
        ({"post_hoc": "E3_remaindr"}, "claim E3_remainder: post_hoc names 'E3_remaindr', not a claim of the file"),
    ],
)
def test_a_bad_claim_fails_at_load_naming_it(tmp_path, change, message):
    ref = yaml.safe_load(reproduction.REFERENCE.read_text())
    ref["claims"] = [{**c, **change} if c["id"] == "E3_remainder" else c for c in ref["claims"]]
    path = tmp_path / "ref.yaml"
    path.write_text(yaml.safe_dump(ref))
    with pytest.raises(reproduction.ReferenceError) as err:
        reproduction.load_reference(path)
    assert str(err.value).startswith(message)


def test_inside_is_stricter_than_overlaps():
    claim = BY_ID["E5_frequency"]
    borderline = claims.Estimate(0.1, 0.1, 5)  # 0.1 +- 2.78 x 0.1 reaches below 0
    assert reproduction.verdict(claim, borderline) == reproduction.INCONCLUSIVE
    assert reproduction.verdict(claim, claims.Estimate(1.0, 0.1, 5)) == reproduction.REPRODUCED
    lenient = reproduction.Claim(**{**claim.__dict__, "test": "overlaps"})
    assert reproduction.verdict(lenient, borderline) == reproduction.REPRODUCED


# -- what must not pass for a verdict -----------------------------------------
def test_a_diverged_or_flat_error_has_no_inside_out_index():
    """All-NaN (diverged) or constant bins would rank in index order, +1."""
    x = np.linspace(-1, 1, 40)
    flat = xr.DataArray(np.ones((2, 40)), dims=("trial", "x"))
    diverged = xr.DataArray(np.vstack([np.abs(x), np.full(40, np.nan)]), dims=("trial", "x"))
    assert np.isnan(claims.inside_out(flat, x, "x", 8)).all()
    index = claims.inside_out(diverged, x, "x", 8).values
    assert index[0] == pytest.approx(1.0) and np.isnan(index[1])
    ds = minima_set({"zero": lambda r: r}, trials=4)
    ds["output"][0, 1:] = np.nan  # three of four trials diverged: one left, no verdict
    assert minima.inside_out_fit(ds, "zero", 8000).trials == 1
    assert verdict("E4_inside_out", {"minima": ds}) == reproduction.NOT_COMPARABLE


def test_pieces_at_step_zero_answer_nothing():
    untrained = knots_set(lambda n, k: 2).sel(step=[0])
    with pytest.raises(claims.NotMeasurable, match="after step 0"):
        knots.pieces_exponent(untrained)


def test_depth_order_needs_both_rises_established():
    noisy = size_set({2: 370, 3: 400, 4: 600})  # 2 to 3: a small rise, established
    noisy["size"][2, 1, :, 1] = 500 + np.array([-300, 300, -250, 330])  # 3 to 4: a larger rise, lost in its noise
    assert size.depth_order(noisy).value > 100 and size.depth_order(noisy).se > 100
    assert verdict("E2_depth_order", {"size": noisy}) == reproduction.INCONCLUSIVE  # a rise we cannot tell from none


def test_a_sweep_that_never_learns_its_lowest_frequency_is_not_measurable():
    never = linearity_set([1] * 6, [1] * 6, frequency=frequency_sweep(lambda k: 10**6))
    with pytest.raises(claims.NotMeasurable, match="lowest frequency"):
        linearity.frequency_slope(never)
    assert verdict("E5_frequency", {"linearity": never}) == reproduction.NOT_COMPARABLE


def test_inside_out_is_read_where_each_trial_is_half_fitted():
    """Early the error is small near 0 and large outside (inside out); at
    the end it is small everywhere but noisy: the index is read at the
    checkpoint nearest half fitted, not at a fixed epoch."""
    ds = minima_set({"zero": lambda r: 0.37 * r, "uniform": lambda r: 0.37 * (1 - r)}, later={16000: 0.05, 20000: 0.05})
    noise = np.random.default_rng(1).normal(size=(2, 4, 2, 400))
    ds["output"].values[:, :, 1:] = ds.target.values + 0.05 * noise  # the same small error everywhere
    errors = [minima.relative_error(ds, "zero", e).value for e in (8000, 16000, 20000)]
    assert int(np.argmin(np.abs(np.array(errors) - 0.5))) == 0 and (minima.half_fitted(ds, "zero") == 0).all()
    assert minima.inside_out_fit(ds, "zero", "half").value > 0.9
    assert abs(minima.inside_out_fit(ds, "zero", 20000).value) < 0.6  # at the end no pattern is left
    assert minima.inside_out_contrast(ds, "half").value > 1.5  # zero: inside out; non-zero: from the boundaries in


# -- the verdict's statistics, on constructed estimates --------------------------
def at_least(low: float, test: str = "inside") -> reproduction.Claim:
    """A claim whose reading is [low, infinity)."""
    return reproduction.Claim(id="X", experiment="size", source="", statement="", measure="max_mean_size", low=low, high=float("inf"), test=test)


def test_each_verdict_where_it_is_the_right_answer():
    claim = at_least(0.0)
    assert reproduction.verdict(claim, claims.Estimate(1.0, 0.1, 5)) == reproduction.REPRODUCED  # [0.72, 1.28]: inside
    assert reproduction.verdict(claim, claims.Estimate(-1.0, 0.1, 5)) == reproduction.CONTRADICTED  # wholly below
    assert reproduction.verdict(claim, claims.Estimate(0.1, 0.1, 5)) == reproduction.INCONCLUSIVE  # [-0.18, 0.38]
    # a stated number: meeting it or not, nothing in between
    number = reproduction.Claim(**{**claim.__dict__, "low": 0.9, "high": 1.1, "test": "overlaps"})
    assert reproduction.verdict(number, claims.Estimate(1.3, 0.1, 5)) == reproduction.REPRODUCED  # [1.02, 1.58] meets it
    assert reproduction.verdict(number, claims.Estimate(1.5, 0.1, 5)) == reproduction.CONTRADICTED
    # no interval (one trial): we cannot tell
    assert reproduction.verdict(claim, claims.Estimate(1.0, float("nan"), 1)) == reproduction.INCONCLUSIVE


def test_student_t_not_two_standard_errors_on_few_trials():
    """On 4 trials (3 degrees of freedom) the 95% interval is 3.18 s.e. wide
    either side: 0.25 +- 2 x 0.1 clears 0, the t-interval does not."""
    est = claims.Estimate(0.25, 0.1, 4)
    assert est.value - 2 * est.se > 0
    low, high = est.interval
    assert low == pytest.approx(0.25 - 3.182446 * 0.1, abs=1e-6) and high == pytest.approx(0.25 + 3.182446 * 0.1, abs=1e-6)
    assert reproduction.verdict(at_least(0.0), est) == reproduction.INCONCLUSIVE
    assert reproduction.verdict(at_least(0.0), claims.Estimate(0.25, 0.1, 400)) == reproduction.REPRODUCED  # t ~ 1.97


def test_a_ratio_has_its_interval_on_the_logs():
    logs = xr.DataArray(np.log([1.5, 2.0, 2.5, 3.0]), dims="trial")
    est = claims.ratio(logs)
    centre, se = float(logs.mean()), float(logs.std(ddof=1) / 2)
    assert est.log and est.value == pytest.approx(np.exp(centre))
    assert est.interval == pytest.approx((np.exp(centre - 3.182446 * se), np.exp(centre + 3.182446 * se)), rel=1e-6)
    assert est.interval[0] > 0  # never a negative ratio, as value +- t x s.e. would give


def test_pairing_tells_what_the_unpaired_test_cannot():
    """Trials differ a lot between themselves (each sees its own data), and
    depth 3 is a little larger than depth 2 in every trial: paired by trial
    the rise is established; two independent means could not tell."""
    ds = size_set({2: 370, 3: 400, 4: 800}, trials=6)
    spread = np.array([-300.0, -150.0, 0.0, 150.0, 300.0, 450.0])
    ds["size"][0, 1, :, 1] = 370 + spread  # depth 2
    ds["size"][1, 1, :, 1] = 400 + spread + np.array([1.0, -1.0, 2.0, -2.0, 0.5, -0.5])  # depth 3: 30 more, paired
    ds["size"][2, 1, :, 1] = 800 + spread
    a, b = (claims.per_trial(ds["size"][d, 1, :, 1]) for d in (0, 1))
    unpaired_se = float(np.hypot(a.se, b.se))
    assert (b.value - a.value) - 2 * unpaired_se < 0  # apart, the means cannot tell depth 3 from depth 2
    rise = size.depth_order(ds)
    assert rise.method == claims.PAIRED_T and rise.value == pytest.approx(30.0, abs=1.0)
    assert verdict("E2_depth_order", {"size": ds}) == reproduction.REPRODUCED


def test_the_trials_that_would_settle_an_inconclusive_verdict():
    """Spread 1 between trials, mean 1 from the edge: n = 7 is the first
    where t(n - 1) / sqrt(n) < 1 (2.447 / 2.646 = 0.92; at 6, 1.05)."""
    from empirical_size.analysis.stats import trials_to_settle

    assert trials_to_settle(1.0, 0.5, 4, 0.0) == 7  # s.e. 0.5 on 4 trials: spread 1
    assert trials_to_settle(0.0, 0.5, 4, 0.0) is None  # on the edge: no number of trials
    claim = at_least(0.0)
    est = claims.Estimate(1.0, 0.5, 4)
    assert reproduction.verdict(claim, est) == reproduction.INCONCLUSIVE
    assert reproduction.settling_trials(claim, est) == 7
    assert reproduction.verdict(claim, claims.Estimate(1.0, 1.0 / np.sqrt(7), 7)) == reproduction.REPRODUCED  # and 7 do


def test_holm_keeps_the_rejections_that_stand_across_the_family():
    from empirical_size.analysis.stats import holm

    assert holm([0.01, 0.04, 0.03, None], family=3) == [True, False, False, None]  # 0.01 <= 0.05/3; 0.03 > 0.05/2 stops
    assert holm([0.001, 0.02], family=2) == [True, True]
    claim, number = at_least(0.0), reproduction.Claim(**{**at_least(0.0).__dict__, "high": 1.0, "test": "overlaps"})
    # three comparable verdicts, each resting on a rejection at p about 0.02-0.03
    found = [claims.Estimate(0.4, 0.15, 10), claims.Estimate(-0.4, 0.15, 10), claims.Estimate(1.4, 0.15, 10)]
    verdicts = [reproduction.verdict(c, e) for c, e in zip((claim, claim, number), found)]
    assert verdicts == [reproduction.REPRODUCED, reproduction.CONTRADICTED, reproduction.CONTRADICTED]
    p_values = [reproduction.decisive_p(c, e) for c, e in zip((claim, claim, number), found)]
    assert all(0.01 < p < 0.05 for p in p_values)
    assert reproduction.holm_verdicts([claim, claim, number], verdicts, p_values) == [
        reproduction.INCONCLUSIVE, reproduction.INCONCLUSIVE, reproduction.REPRODUCED,  # the wider interval meets the number
    ]  # fmt: skip
    # a verdict resting on no rejection (an interval meeting a number) stands
    assert reproduction.decisive_p(number, claims.Estimate(0.9, 0.15, 10)) is None


def test_depth_ratios_read_figure_1_as_its_precision_allows():
    """The paper's 370 < 580 and 580 about 600: both readings hold on the
    paper's own numbers, and both fail on a map where they are false."""
    papers = size_set({2: 370, 3: 580, 4: 600})
    assert size.depth_ratio(papers, 2, 3).value == pytest.approx(580 / 370, rel=0.03)
    assert size.depth_ratio(papers, 2, 3).method == claims.PAIRED_T and size.depth_ratio(papers, 2, 3).log
    assert verdict("E2_depth_2_below_3", {"size": papers}) == reproduction.REPRODUCED
    assert verdict("E2_depth_3_about_4", {"size": papers}) == reproduction.REPRODUCED
    other = size_set({2: 370, 3: 380, 4: 900})
    assert verdict("E2_depth_2_below_3", {"size": other}) == reproduction.CONTRADICTED
    assert verdict("E2_depth_3_about_4", {"size": other}) == reproduction.CONTRADICTED


def test_a_reading_chosen_after_the_data_sits_beside_the_one_fixed_before():
    frame = reproduction.table({}).set_index("claim")
    for claim in CLAIMS:
        if claim.post_hoc:
            assert BY_ID[claim.post_hoc].post_hoc == "", claim.id  # beside a fixed reading, not another post-hoc one
            assert frame.loc[claim.id, "reading"] == f"post hoc, beside {claim.post_hoc}"
            assert frame.loc[claim.post_hoc, "reading"] == "fixed before the run"
    assert BY_ID["E4_inside_out"].post_hoc == "E4_inside_out_at_8000" and BY_ID["E4_inside_out_at_8000"].args["epoch"] == 8000
    assert all(c.why for c in CLAIMS if c.post_hoc)  # a changed reading says why


def test_pieces_in_depth_tell_nk_from_n_to_the_k():
    linear = knots_set(lambda n, k: n * k)  # O(NK): slope 1 in K
    power = knots_set(lambda n, k: min(n**k, 10**15))  # O(N^K)
    assert knots.pieces_exponent_in_depth(linear).value == pytest.approx(1.0, abs=0.02)
    assert knots.pieces_exponent_in_depth(power).value > 10
    assert verdict("E6_pieces_in_depth", {"knots": linear}) == reproduction.REPRODUCED
    assert verdict("E6_pieces_in_depth", {"knots": power}) == reproduction.CONTRADICTED


def test_levelled_off_compares_the_last_tenth_of_training():
    epochs = np.array([5000, 45000, 50000])

    def grown(last_rise):
        ds = size_set({2: 370, 3: 580, 4: 600}, trials=4)
        ds = ds.reindex(epoch=epochs, method="nearest")
        ds["size"][:, 1, :, 1] = ds["size"][:, 1, :, 2] / (1 + last_rise)  # at 45,000: the size before its last rise
        return ds

    flat, rising = grown(0.001), grown(0.5)
    assert size.change_at_the_end(flat).value == pytest.approx(0.001 / 1.001, rel=0.01)
    assert verdict("E2_levelled_off", {"size": flat}) == reproduction.REPRODUCED
    assert verdict("E2_levelled_off", {"size": rising}) == reproduction.CONTRADICTED
    with pytest.raises(claims.NotMeasurable, match="one record near the end"):
        size.change_at_the_end(size_set({2: 370, 3: 580, 4: 600}).isel(epoch=[-1]))



def test_levelled_off_judges_the_depth_whose_interval_reaches_highest():
    """Depth 2 changes a little on average but its trials disagree; depth 3
    a little more, steadily: the "at most 0.05" reading rests on depth 2,
    whose interval straddles 0.05, not on the larger mean."""
    ds = size_set({2: 370, 3: 580, 4: 600}, trials=4)
    ds = ds.reindex(epoch=[45000, 50000], method="nearest")
    last = ds["size"][:, 1, :, 1].values.copy()
    changes = {0: np.array([0.0, 0.06, 0.0, 0.06]), 1: np.full(4, 0.035), 2: np.full(4, 0.001)}  # means 0.03, 0.035, 0.001
    for d, c in changes.items():
        ds["size"][d, 1, :, 0] = last[d] * (1 - c)
    est = size.change_at_the_end(ds)
    assert est.value == pytest.approx(0.03) and est.interval[1] > 0.05  # depth 2, not depth 3's larger mean
    assert verdict("E2_levelled_off", {"size": ds}) == reproduction.INCONCLUSIVE


def test_settling_and_p_values_of_a_ratio_are_on_its_logs():
    from scipy.stats import t

    within = reproduction.Claim(**{**at_least(0.0).__dict__, "low": 0.8, "high": 1.25})
    est = claims.Estimate(1.1, 0.0625, 4, log=True)  # log scale: 0.0953 +- 0.0568 (s.e.), spread 0.114
    assert reproduction.verdict(within, est) == reproduction.INCONCLUSIVE  # [0.92, 1.32] straddles 1.25
    # t(n-1) x 0.114 / sqrt(n) < log(1.25) - log(1.1) = 0.128: 1.05 at n = 6, 1.24 at n = 5
    assert reproduction.settling_trials(within, est) == 6
    far = claims.Estimate(2.0, 0.1, 10, log=True)
    assert reproduction.verdict(within, far) == reproduction.CONTRADICTED
    expected = 2 * t.sf((np.log(2.0) - np.log(1.25)) / (0.1 / 2.0), 9)
    assert reproduction.decisive_p(within, far) == pytest.approx(expected, rel=1e-9)
