"""envs/*.yaml pin the same versions as pyproject.toml."""

import re
import tomllib

import pytest
import yaml

from conftest import ROOT


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
    text = "".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    envs = re.findall(r'conda:\s*\n\s*"\.\./\.\./(envs/[^"]+)"', text)
    rules = re.findall(r"^rule (\w+):", text, flags=re.M)
    assert len(envs) == len([r for r in rules if r != "all"])
    for env in envs:
        assert (ROOT / env).is_file()
