"""Hostile configs: every random change to the default config is accepted
(and expands into valid job specs) or refused with a message naming the key;
never a traceback from deep inside."""

import copy
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empirical_size.plan import registry

pytest.importorskip("snakemake")
from snakemake.exceptions import WorkflowError  # noqa: E402
from snakemake.utils import validate  # noqa: E402

from empirical_size.experiments.batching import record as e3
from empirical_size.experiments.degenerate import record as e1
from empirical_size.experiments.knots import record as e6
from empirical_size.experiments.linearity import record as e5
from empirical_size.experiments.minima import record as e4
from empirical_size.experiments.sensitivity import record as e7
from empirical_size.experiments.size import record as e2

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def leaf_paths(node, prefix=()):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from leaf_paths(value, prefix + (key,))
        else:
            yield prefix + (key,)


PATHS = list(leaf_paths(DEFAULT)) + [(s,) for s in DEFAULT]
values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
typo = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10)


def expand(config):
    """What the workflow does with a config before any job starts."""
    registry.check(config)
    from empirical_size.experiments.degenerate import job as degenerate
    from empirical_size.experiments.knots import job as knots
    from empirical_size.experiments.linearity import job as linearity
    from empirical_size.experiments.minima import job as minima
    from empirical_size.experiments.size import job as size_experiment

    for path in e2.jobs(config)[:3]:
        parts = Path(path).parts
        depth, n = int(parts[3][5:]), parts[4][1:]  # n: a size, or a bucket "lo-hi" of packed sizes
        first, last = map(int, Path(path).stem[6:].split("-"))
        size_experiment.Job.from_dict(e2.spec(config, depth, n, first, last))
    for v in config["batching"]["variants"]:
        for n in config["batching"]["sizes"][:2]:
            variant = v if n >= config["batching"]["full_batch_below"] else e3.FULL
            size_experiment.Job.from_dict(e3.spec(config, variant, config["batching"]["depths"][0], n, 0, 0))
    for bias in config["minima"]["variants"]:
        minima.Job.from_dict(e4.spec(config, bias))
    degenerate.Job.from_dict(e1.spec(config))
    linearity.Job.from_dict(e5.spec(config))
    for path in e5.jobs(config)[1:]:  # E5's frequency sweep
        linearity.Job.from_dict(e5.spec(config, Path(path).stem))
    for part in e6.parts(config):
        knots.Job.from_dict(e6.spec(config, part))
    for setting in e7.settings(config):
        degenerate.Job.from_dict(e7.spec(config, setting, "degenerate"))
        for part in e7.parts(config, setting)[1:]:
            size_experiment.Job.from_dict(e7.spec(config, setting, part))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=values, misspell=st.booleans(), extra=typo)
def test_random_config_is_accepted_or_refused_naming_the_key(path, value, misspell, extra):
    config = copy.deepcopy(DEFAULT)
    node = config
    for key in path[:-1]:
        node = node[key]
    key = path[-1]
    if misspell:
        key = key + extra  # a key the schema does not know
    node[key] = value
    try:
        validate(config, SCHEMA)
        expand(config)
    except (WorkflowError, registry.ConfigError, ValueError) as err:
        message = str(err)
        assert key in message or path[-1] in message, f"{path} -> {value!r}: message does not name the key:\n{message[:600]}"


small = st.integers(1, 6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=small, width=small, inputs=st.integers(1, 3), n=st.integers(1, 40), steps=st.integers(0, 3),
    trials=st.integers(1, 3), records=st.integers(1, 3), every=st.integers(1, 3),
    batch=st.integers(1, 50), epsilon=st.sampled_from([1e-8, 1e-3, 1.0]), dtype=st.sampled_from(["float32", "float64"]),
    pack=st.sampled_from([0, 1, 2, 256]), distribution=st.sampled_from(["normal", "uniform_symmetric", "uniform_positive"]),
)
def test_random_small_valid_configs_run(depth, width, inputs, n, steps, trials, records, every, batch, epsilon, dtype, pack, distribution):
    """Accepted configs do not only expand into job specs: their jobs run,
    down to odd corners (one sample, width 1, no steps, a batch larger than n)."""
    from empirical_size.experiments.degenerate import job as degenerate
    from empirical_size.experiments.size import job as size_experiment

    config = copy.deepcopy(DEFAULT)
    config["dtype"] = dtype
    config["degenerate"].update(depth=depth, width=width, inputs=inputs, n=n, steps=steps, trials=trials, fresh_samples=10, report_layers=[1])
    config["size"].update(depths=[depth], width=width, inputs=inputs, sizes=[n, n + 1], trials=trials, trials_per_job=trials,
                          epochs=records * every, record_every=every, pack_width=pack)
    config["sensitivity"].update(epsilon=[epsilon], learning_rate=[1.0], dtype=[dtype], batch_size=[batch], input_distribution=[distribution])
    config["sensitivity"]["size"] = {"depths": [depth], "n": n, "trials": trials}
    validate(config, SCHEMA)
    expand(config)
    for setting in e7.settings(config):
        e1_data = degenerate.run(degenerate.Job.from_dict(e7.spec(config, setting, "degenerate")), progress_every=1e9)
        assert e1_data.dead.sizes == {"stage": 2, "sample": 2, "trial": trials, "layer": depth}
        assert ((e1_data.dead >= 0) & (e1_data.dead <= width)).all()
        e2_data = size_experiment.run(size_experiment.Job.from_dict(e7.spec(config, setting, f"size_depth{depth}")), progress_every=1e9)
        assert e2_data.mse.sizes == {"trial": trials, "epoch": records} and e2_data.epoch.values.tolist() == [every * (i + 1) for i in range(records)]
    # E2's first job: sizes n and n + 1 packed in one job or each alone, by pack_width
    path = Path(e2.jobs(config)[0])
    bucket = path.parts[4][1:]
    packed = size_experiment.run(size_experiment.Job.from_dict(e2.spec(config, depth, bucket, 0, trials - 1)), progress_every=1e9)
    in_bucket = [m for m in (n, n + 1) if e2.bucket(m, pack) == bucket]
    assert packed.mse.sizes == ({"n": len(in_bucket)} if pack else {}) | {"trial": trials, "epoch": records}
    assert len(in_bucket) == (2 if pack > 1 and (n - 1) // pack == n // pack else 1)


def test_the_pipelines_specs_leave_nothing_to_the_schema(monkeypatch):
    """A training job's environment reads no schema (envs/train.yaml has no
    YAML reader): every spec a record builds names every key of its job;
    the schema's defaults fill only a test's or a hand-run partial spec."""
    from empirical_size.plan import schema

    def unread():
        raise AssertionError("a record's spec left a key to the schema's defaults")

    monkeypatch.setattr(schema, "schema", unread)
    config = copy.deepcopy(DEFAULT)
    validate(config, SCHEMA)
    expand(config)
    from empirical_size.experiments.size.job import SizeJob

    with pytest.raises(AssertionError, match="left a key"):  # the check can fail
        SizeJob.from_dict({"depth": 2, "n": 3})
