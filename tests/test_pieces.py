"""Exact piece counting of one-dimensional ReLU networks."""

import math

import numpy as np
import pytest
from conftest import train_job

from empirical_size.science import networks
from empirical_size.science.pieces import count_pieces, pieces


def tent(depth):
    """t(x) = 2 relu(x) - 4 relu(x - 1/2), composed ``depth`` times: 2^depth pieces on [0, 1]."""
    layers = [(np.array([[1.0, 1.0]]), np.array([0.0, -0.5]))]
    layers += [(np.array([[2.0, 2.0], [-4.0, -4.0]]), np.array([0.0, -0.5]))] * (depth - 1)
    return layers + [(np.array([[2.0], [-4.0]]), np.array([0.0]))]


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8])
def test_sawtooth_compositions_grow_exponentially(depth):
    p = pieces(tent(depth), (0.0, 1.0))
    assert p.count == 2**depth
    np.testing.assert_allclose(p.breakpoints, np.arange(1, 2**depth) / 2**depth, atol=1e-12)
    np.testing.assert_allclose(np.abs(p.slopes), 2**depth)


def test_whole_line_adds_the_outer_pieces():
    # t on the real line: slope 2 up to 1/2, -2 after, then flat? t(x) = 2x - 4 relu(x-1/2) for x > 0 and 0 for x < 0
    p = pieces(tent(1))
    assert p.breakpoints.tolist() == [0.0, 0.5] and p.slopes.tolist() == [0.0, 2.0, -2.0]


def test_coinciding_breakpoints_count_once_and_cancelling_neurons_merge():
    same = [(np.array([[1.0, 2.0, -1.0]]), np.array([0.0, 0.0, 0.0])), (np.array([[1.0], [1.0], [1.0]]), np.array([0.0]))]
    p = pieces(same)  # relu(x) + relu(2x) + relu(-x): one kink at 0
    assert p.count == 2 and p.slopes.tolist() == [-1.0, 3.0]
    shifted = [(np.array([[3.0, 1.0]]), np.array([-1.0, -1 / 3])), (np.array([[1.0], [-3.0]]), np.array([0.0]))]
    assert pieces(shifted).count == 1  # relu(3x - 1) - 3 relu(x - 1/3) = 0: both kinks at 1/3 cancel


def test_one_hidden_layer_has_one_piece_per_distinct_kink_plus_one():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 7))
    b = rng.normal(size=7)
    out = rng.normal(size=(7, 1))
    p = pieces([(w, b), (out, np.zeros(1))])
    assert p.count == 8
    np.testing.assert_allclose(np.sort(-b / w[0]), p.breakpoints)


@pytest.mark.parametrize("seed, sizes", [(1, [1, 8, 8, 8, 1]), (2, [1, 16, 16, 1]), (3, [1, 6, 6, 6, 6, 1])])
def test_against_brute_force_on_random_networks(seed, sizes):
    rng = np.random.default_rng(seed)
    weights = networks.glorot_uniform(rng, sizes, bias_scale=0.5)
    lo, hi = -3.0, 3.0
    p = pieces(weights, (lo, hi))

    def f(x):
        return networks.forward(weights, np.asarray(x, float)[:, None])[:, 0]

    edges = np.concatenate([[lo], p.breakpoints, [hi]])
    # inside every piece the network is exactly linear, with the reported slope
    for a, b, slope in zip(edges[:-1], edges[1:], p.slopes):
        x = np.linspace(a, b, 41)[1:-1]
        np.testing.assert_allclose(np.diff(f(x)) / np.diff(x), slope, rtol=1e-7, atol=1e-9)
    # every breakpoint found is a real slope change
    gaps = np.diff(edges)
    for i, bp in enumerate(p.breakpoints):
        d = min(gaps[i], gaps[i + 1]) / 4
        left = (f([bp]) - f([bp - d]))[0] / d
        right = (f([bp + d]) - f([bp]))[0] / d
        assert abs(left - right) > 1e-9 * max(1.0, abs(left), abs(right))
    # and dense sampling finds no change the exact count missed where pieces are wide enough
    x = np.linspace(lo, hi, 200_001)
    s = np.diff(f(x)) / np.diff(x)
    flags = np.abs(np.diff(s)) > 1e-6 * np.abs(s).max()
    sampled = np.sum(np.diff(np.concatenate([[0], flags.astype(int)])) == 1)
    wide = np.sum(np.diff(edges) > 1e-3)
    assert wide - 1 <= sampled <= p.count - 1


def test_stacked_trials_and_speed_at_width_500_depth_4():
    import time

    rng = np.random.default_rng(4)
    trials = [networks.glorot_uniform(rng, [1, 500, 500, 500, 500, 1], bias_scale=0.1) for _ in range(2)]
    start = time.perf_counter()
    counts = count_pieces(networks.stack_trials(trials))
    seconds = time.perf_counter() - start
    assert counts.shape == (2,) and (counts > 500).all()
    print(f"pieces {counts.tolist()} of width-500 depth-4 networks in {seconds:.2f} s")


def test_zero_biases_make_two_pieces():
    rng = np.random.default_rng(5)
    w = networks.glorot_uniform(rng, [1, 32, 32, 32, 1])  # f(x) = x f(1) or x f(-1)
    assert pieces(w).count <= 2
    assert math.isinf(pieces.__defaults__[0][0])


def test_end_pieces_on_the_whole_line_match_the_network_far_out():
    # ReLU(a x + c): the crossing just added evaluates to about 1e-17, not 0
    single = [(np.array([[1.6501217528309111]]), np.array([0.10520315032328138])), (np.array([[1.0]]), np.array([0.0]))]
    p = pieces(single)
    assert p.count == 2 and p.slopes.tolist() == [0.0, 1.6501217528309111]
    rng = np.random.default_rng(7)
    for sizes in ([1, 4, 1], [1, 8, 8, 1], [1, 16, 16, 16, 1]):
        for _ in range(30):
            weights = networks.glorot_uniform(rng, sizes, bias_scale=0.5)
            p = pieces(weights)
            far = 10 * (1 + np.abs(p.breakpoints).max(initial=0.0))
            f = lambda x: networks.forward(weights, np.array([[x]], float))[0, 0]  # noqa: E731
            np.testing.assert_allclose(f(-far) - f(-far - 1), p.slopes[0], atol=1e-9)
            np.testing.assert_allclose(f(far + 1) - f(far), p.slopes[-1], atol=1e-9)
            assert p.count == pieces(weights, (-far, far)).count


def test_the_e6_job_counts_in_numpy_and_records_so(tmp_path):
    """E6's initialisation counts need no Keras: the job's provenance says
    numpy on the CPU instead of importing TensorFlow to describe a device."""
    spec = {"seed": 0, "namespace": "knots", "widths": [8], "depths": [1, 2], "trials": 3, "bias_scale": 0.5}
    ds = train_job(spec, tmp_path / "knots.nc", job="knots")
    assert ds.attrs["device"].startswith("numpy:cpu") and ds.attrs["backend"] == "numpy"
    assert ds.pieces.dims == ("width", "depth", "trial") and (ds.pieces >= 1).all()
