import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# In-process tests train on TensorFlow unless the environment says otherwise;
# cross-backend tests run each backend in its own subprocess.
from empirical_size.engine import backend

backend.select(os.environ.get("KERAS_BACKEND", "tensorflow"), "float64")

WORKFLOW_FILES = ("Snakefile", "workflow", "config", "envs", "profiles", "src")


def copy_workflow(dest: Path) -> Path:
    """A copy of the workflow in ``dest``."""
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture
def workdir(tmp_path):
    """A copy of the workflow in a temporary directory."""
    return copy_workflow(tmp_path)


def workflow_rules(workdir=ROOT):
    """The workflow's rules as Snakemake builds them (generated ones too), and
    the names of those it runs on the submitting host (its local rules: a
    dry run does not print them apart). Reads Snakemake's workflow object,
    in this process: it sets PYTHONPATH and sys.path as the Snakefile does,
    and the library it plans with is the one this process imported (ROOT's)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings, StorageSettings

    with SnakemakeApi(OutputSettings(quiet=True, enable_file_logging=False)) as api:
        wf = api.workflow(
            resource_settings=ResourceSettings(), config_settings=ConfigSettings(), storage_settings=StorageSettings(),
            snakefile=Path(workdir) / "Snakefile", workdir=Path(workdir),
        )  # fmt: skip
        w = wf._workflow
        return list(w.rules), {r.name for r in w.rules if r.name in w._localrules}


def snakemake(workdir, *args, check=True, timeout=900):
    """Run Snakemake in ``workdir``; returns the completed process."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def train_job(spec: dict, out, backend: str = "tensorflow", job: str = "size", **env_vars):
    """One training job in a process of its own (Keras' backend is fixed per
    process), from the source tree; returns its data set."""
    import json

    import xarray as xr

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env_vars}
    env.pop("KERAS_BACKEND", None)
    command = ["-m", "empirical_size", "train", "--job", job, "--backend", backend, "--spec", json.dumps(spec)]
    proc = subprocess.run(
        [sys.executable, *command, "--out", str(out)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return xr.load_dataset(out)


def chromium() -> str:
    """Debian's headless chromium, installed with apt where it is missing
    (as root); skips the test, saying why, where it cannot be had."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("no chromium, and apt-get cannot install it here (needs root)")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        except subprocess.TimeoutExpired:
            pytest.skip(f"{' '.join(command)} took over 15 minutes")
        if done.returncode != 0:
            pytest.skip(f"apt-get could not install chromium: {done.stderr[-500:]}")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("apt-get installed chromium, but no chromium binary is on PATH")
    return found


def browser_dom(html) -> str:
    """The page as a browser shows it (after its scripts ran), headless."""
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--dump-dom", f"file://{html}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
