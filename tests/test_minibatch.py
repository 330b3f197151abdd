import numpy as np
import pytest

from empirical_size.engine.minibatch import BatchPlan, mix32, sort_keys, trial_keys


def keys(*seeds):
    return trial_keys([np.random.default_rng(s) for s in seeds])


def test_keras_epoch_of_1100_in_batches_of_256_has_five_steps_last_of_76():
    plan = BatchPlan(n=1100, batch_size=256, mode="keep")
    assert plan.steps_per_epoch == 5
    assert plan.batch_lengths == [256, 256, 256, 256, 76]
    mask = plan.mask()
    assert mask.shape == (5, 256)
    assert mask.sum(axis=1).tolist() == [256, 256, 256, 256, 76]


def test_each_epoch_visits_every_sample_once_and_shuffles_per_trial():
    plan = BatchPlan(n=1100, batch_size=256, mode="keep", shuffle=True)
    idx = plan.indices(keys(1, 2), 0, 3)
    assert idx.shape == (3, 5, 2, 256)
    real = plan.mask(bool)
    for e in range(3):
        for t in range(2):
            assert sorted(idx[e, :, t][real].tolist()) == list(range(1100))
    assert not np.array_equal(idx[0, :, 0], idx[1, :, 0])  # a new order each epoch
    assert not np.array_equal(idx[0, :, 0], idx[0, :, 1])  # each trial its own


def test_a_trials_batches_do_not_depend_on_its_chunk():
    plan = BatchPlan(n=300, batch_size=64)
    together = plan.indices(keys(7, 8), 0, 2)
    alone = plan.indices(keys(8), 0, 2)
    np.testing.assert_array_equal(together[:, :, 1], alone[:, :, 0])


def test_unshuffled_keep_is_keras_order():
    plan = BatchPlan(n=10, batch_size=4, shuffle=False)
    idx = plan.indices(keys(0), 0, 1)[0, :, 0]
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


def test_mix32_is_lowbias32():
    # the hash's formula, step by step, on one value (wrapping uint32 arithmetic)
    x = 0x12345678
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    assert int(mix32(0x12345678)) == x
    assert len(set(mix32(np.arange(5000)).tolist())) == 5000  # a bijection


def test_sort_keys_are_distinct_and_keep_the_index_in_their_low_bits():
    k = sort_keys(keys(3, 4), 17, 1100)
    assert k.dtype == np.int32 and all(len(set(row.tolist())) == 1100 for row in k)
    assert ((k.view(np.uint32) & 0x7FF) == np.arange(1100)).all()  # 11 bits hold i < 2048


def test_a_later_slice_of_epochs_is_the_same_epochs_drawn_from_the_start():
    # counter-based: a resumed job draws epoch e as an uninterrupted one would
    for mode in ("keep", "resample"):
        plan = BatchPlan(n=300, batch_size=64, mode=mode)
        np.testing.assert_array_equal(plan.indices(keys(5), 0, 4)[2:], plan.indices(keys(5), 2, 2))


def test_orders_look_uniform():
    # position of sample 0 over many epochs: about uniform on 0..n-1
    plan = BatchPlan(n=8, batch_size=8, mode="keep")
    first = plan.indices(keys(1), 0, 4000)[:, 0, 0, :]
    counts = np.bincount(np.argmax(first == 0, axis=1), minlength=8)
    assert counts.min() > 400 and counts.max() < 600  # 500 expected, s.d. about 21
