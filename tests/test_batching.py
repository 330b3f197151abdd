import numpy as np
import pytest

from empirical_size.batching import BatchPlan


def test_keras_epoch_of_1100_in_batches_of_256_has_five_steps_last_of_76():
    plan = BatchPlan(n=1100, batch_size=256, mode="keep")
    assert plan.steps_per_epoch == 5
    assert plan.batch_lengths == [256, 256, 256, 256, 76]
    mask = plan.mask()
    assert mask.shape == (5, 256)
    assert mask.sum(axis=1).tolist() == [256, 256, 256, 256, 76]


def test_each_epoch_visits_every_sample_once_and_shuffles_per_trial():
    plan = BatchPlan(n=1100, batch_size=256, mode="keep", shuffle=True)
    rngs = [np.random.default_rng(s) for s in (1, 2)]
    idx = plan.indices(rngs, epochs=3)
    assert idx.shape == (3, 5, 2, 256)
    real = plan.mask(bool)
    for e in range(3):
        for t in range(2):
            assert sorted(idx[e, :, t][real].tolist()) == list(range(1100))
    assert not np.array_equal(idx[0, :, 0], idx[1, :, 0])  # a new order each epoch
    assert not np.array_equal(idx[0, :, 0], idx[0, :, 1])  # each trial its own


def test_a_trials_batches_do_not_depend_on_its_chunk():
    plan = BatchPlan(n=300, batch_size=64)
    together = plan.indices([np.random.default_rng(7), np.random.default_rng(8)], epochs=2)
    alone = plan.indices([np.random.default_rng(8)], epochs=2)
    np.testing.assert_array_equal(together[:, :, 1], alone[:, :, 0])


def test_unshuffled_keep_is_keras_order():
    plan = BatchPlan(n=10, batch_size=4, shuffle=False)
    idx = plan.indices([np.random.default_rng(0)], epochs=1)[0, :, 0]
    assert idx[plan.mask(bool)].tolist() == list(range(10))


@pytest.mark.parametrize(
    "n, mode, lengths",
    [
        (1100, "drop", [256] * 4),
        (1100, "resample", [256] * 5),
        (1024, "keep", [256] * 4),
        (500, "keep", [256, 244]),
        (200, "keep", [200]),  # below the batch size: one full batch
    ],
)
def test_batch_lengths_per_mode(n, mode, lengths):
    assert BatchPlan(n=n, batch_size=256, mode=mode).batch_lengths == lengths


def test_full_batch_is_one_step():
    plan = BatchPlan(n=37)
    assert plan.full_batch and plan.steps_per_epoch == 1 and plan.batch_lengths == [37]


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 10, "batch_size": 0}, {"n": 10, "batch_size": 4, "mode": "sideways"}])
def test_bad_plans_are_refused(kwargs):
    with pytest.raises(ValueError):
        BatchPlan(**kwargs)
