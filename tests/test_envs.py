"""envs/*.yaml pin the same versions as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from empirical_size.plan import registry


def pins(requirements):
    out = {}
    for req in requirements:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", req.strip())
        assert m, f"not an exact pin: {req!r}"
        out[m.group(1).lower()] = m.group(3)
    return out


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DECLARED = {**pins(PROJECT["dependencies"]), **pins(PROJECT["optional-dependencies"]["jax"])}


@pytest.mark.parametrize("env", sorted(p.name for p in (ROOT / "envs").glob("*.yaml")))
def test_env_pins_agree_with_pyproject(env):
    spec = yaml.safe_load((ROOT / "envs" / env).read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
    for name, version in pins(pip).items():
        assert name in DECLARED, f"{env}: {name} is not a dependency in pyproject.toml"
        assert DECLARED[name] == version, f"{env}: {name}=={version} but pyproject.toml pins {DECLARED[name]}"


def test_every_runtime_dependency_is_pinned():
    assert len(pins(PROJECT["dependencies"])) == len(PROJECT["dependencies"])


def test_every_rule_names_an_existing_env():
    """Every rule Snakemake builds (the generated training and merge rules
    too) names a pinned env of envs/: training's or analysis'."""
    from conftest import workflow_rules

    rules, _ = workflow_rules()
    assert len(rules) > 2 * len(registry.EXPERIMENTS)
    for rule in rules:
        if rule.name == "all":
            continue
        assert rule.conda_env, rule.name
        env = (Path(rule.snakefile).parent / rule.conda_env).resolve()
        assert env.parent == ROOT / "envs" and env.is_file(), (rule.name, env)
        assert env.name == ("train.yaml" if rule.name.endswith("_train") else "analysis.yaml"), rule.name


def test_device_wheels_agree_with_pyproject():
    """The wheels carried to the GPU machine are the versions every other
    run uses (those pyproject.toml pins)."""
    script = (ROOT / "benchmarks" / "device_wheels.sh").read_text()
    carried = pins(re.findall(r"\b[\w.\-]+==[\w.\-]+", script))
    assert {"keras", "netcdf4"} <= carried.keys()
    for name in carried.keys() & DECLARED.keys():
        assert carried[name] == DECLARED[name], f"device_wheels.sh: {name}=={carried[name]} but pyproject.toml pins {DECLARED[name]}"
